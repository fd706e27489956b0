import { POSTGRES_SKIP_REASON, postgresTestUrl } from "../support/postgres";
import { describeServerContract } from "./describe-server-contract";

describeServerContract("postgres (server)", postgresTestUrl(), POSTGRES_SKIP_REASON, { kept: true, heldWrites: true });
