import type { Context } from "koa";
import { inject, injectable } from "tsyringe";
import { CheckReadiness } from "../../application/check-readiness";
import { DomainError, StorageUnavailableError } from "../../domain/domain-error";
import type { Metrics } from "../../infrastructure/metrics/metrics";
import { TOKENS } from "../../tokens";
import openApiDocument from "./openapi.json";

const OPENAPI_TEXT = JSON.stringify(openApiDocument);

/** Endpoints for operators and tooling: liveness, readiness, metrics, the API description. */
@injectable()
export class OperationsController {
  constructor(
    @inject(CheckReadiness) private readonly checkReadiness: CheckReadiness,
    @inject(TOKENS.Metrics) private readonly metrics: Metrics,
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

  /** GET /metrics: Prometheus text exposition format. */
  readonly metricsText = async (ctx: Context): Promise<void> => {
    ctx.body = await this.metrics.render();
    ctx.type = this.metrics.contentType;
  };

  /** GET /openapi.json: the OpenAPI 3.1 description of this API. */
  readonly openApi = (ctx: Context): void => {
    ctx.body = OPENAPI_TEXT;
    ctx.type = "application/json";
  };
}
