import { CITUS_SKIP_REASON, citusTestUrl } from "../support/citus";
import { describeServerContract } from "./describe-server-contract";

describeServerContract("citus (a coordinator and two workers)", citusTestUrl(), CITUS_SKIP_REASON, {
  kept: false,
  reason: "not kept on a Citus distributed table: Citus refuses the triggers that record it",
});
