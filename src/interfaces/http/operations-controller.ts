import type { Context } from "koa";
import type { CheckReadiness } from "../../application/check-readiness";
import type { DescribeKeyspace, KeyspaceReport } from "../../application/describe-keyspace";
import { DomainError, StorageUnavailableError } from "../../domain/domain-error";
import type { Logger } from "./logger";
import { requestIdOf } from "./middleware/observe-requests";
import openApiDocument from "./openapi.json";

/** A scrape waits this long for the storage sample (Prometheus's own scrape timeout defaults to 10 s). */
const KEYSPACE_SAMPLE_TIMEOUT_MS = 2000;

const OPENAPI_TEXT = JSON.stringify(openApiDocument);

/** What GET /metrics serves: the service's metrics, rendered with a keyspace sample taken for the scrape. */
export interface MetricsExposition {
  readonly contentType: string;
  /** The text for one scrape; `keyspace` is null when storage could not be sampled. */
  render(keyspace: KeyspaceReport | null): Promise<string>;
}

/** Endpoints for operators and tooling: liveness, readiness, metrics, the API description. */
export class OperationsController {
  constructor(
    private readonly checkReadiness: CheckReadiness,
    private readonly describeKeyspace: DescribeKeyspace,
    private readonly metrics: MetricsExposition,
    private readonly logger: Logger,
  ) {}

  /** GET /healthz: the process is up and serving HTTP; says nothing about storage. */
  readonly health = (ctx: Context): void => {
    ctx.body = { status: "ok" };
  };

  /** GET /readyz: storage is reachable and migrated, so /keys requests can succeed. */
  readonly ready = async (ctx: Context): Promise<void> => {
    try {
      await this.checkReadiness.execute();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new StorageUnavailableError(`storage is not ready: ${(error as Error).message}`, { cause: error });
    }
    ctx.body = { status: "ready" };
  };

  /**
   * GET /metrics: Prometheus text exposition format. Samples the keyspace
   * first (one cheap storage query, abandoned after 2 s so a hung database
   * cannot hang the scrape); a failed sample is a warning and kv_storage_up 0,
   * never a failed scrape.
   */
  readonly metricsText = async (ctx: Context): Promise<void> => {
    ctx.body = await this.metrics.render(await this.sampleKeyspace(ctx));
    ctx.type = this.metrics.contentType;
  };

  private async sampleKeyspace(ctx: Context): Promise<KeyspaceReport | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from storage within ${KEYSPACE_SAMPLE_TIMEOUT_MS} ms`)), KEYSPACE_SAMPLE_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.describeKeyspace.execute(), timeout]);
    } catch (error) {
      this.logger.warn("keyspace statistics unavailable", { request_id: requestIdOf(ctx), error: (error as Error).cause ?? error });
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** GET /openapi.json: the OpenAPI 3.1 description of this API. */
  readonly openApi = (ctx: Context): void => {
    ctx.body = OPENAPI_TEXT;
    ctx.type = "application/json";
  };
}
