import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../src/infrastructure/project-files";
import { DEPLOY, alertRules, readYaml } from "../support/monitoring-files";
import { PROMETHEUS_SKIP_REASON, prometheusBinaries, promtool } from "../support/promtool";

interface RuleTests {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

describe("Prometheus alert rules", () => {
  const rules = alertRules();

  it("alert on what an operator needs: down, 5xx ratio, p99 latency, storage, sweeper, expiry backlog, pool, full disk", () => {
    expect(rules.map((rule) => rule.alert)).to.have.members([
      "KvDown",
      "KvHighErrorRatio",
      "KvHighLatency",
      "KvStorageUnreachable",
      "KvSweeperStalled",
      "KvExpiryBacklog",
      "KvDbPoolExhausted",
      "KvStorageFull",
    ]);
  });

  it("give every alert a severity, a summary, a description and a runbook section that exists", () => {
    const runbook = readFileSync(join(projectRoot(), "RUNBOOK.md"), "utf8");
    const anchors = new Set([...runbook.matchAll(/^#+ (.+)$/gm)].map(([, heading]) => heading.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-")));
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).to.be.oneOf(["critical", "warning"]);
      expect(rule.annotations?.summary, rule.alert).to.be.a("string").and.not.equal("");
      expect(rule.annotations?.description, rule.alert).to.be.a("string").and.not.equal("");
      expect(rule.annotations?.runbook_url, rule.alert).to.equal(`RUNBOOK.md#${rule.alert.toLowerCase()}`);
      expect(anchors.has(rule.alert.toLowerCase()), `RUNBOOK.md has a "${rule.alert}" heading`).to.equal(true);
    }
  });

  it("have unit tests in which each alert both fires and stays quiet", () => {
    const { tests } = readYaml<RuleTests>(DEPLOY.alertTests);
    const cases = tests.flatMap((test) => test.alert_rule_test ?? []);
    for (const rule of rules) {
      const own = cases.filter((c) => c.alertname === rule.alert);
      expect(own.some((c) => c.exp_alerts.length > 0), `${rule.alert} fires in a test`).to.equal(true);
      expect(own.some((c) => c.exp_alerts.length === 0), `${rule.alert} stays quiet in a test`).to.equal(true);
    }
  });

  const binaries = prometheusBinaries();
  if (!binaries.available && !binaries.required) {
    it.skip(`pass promtool check config, check rules and test rules (${PROMETHEUS_SKIP_REASON})`);
  } else {
    it("pass promtool check config and check rules", () => {
      expect(binaries.available, "REQUIRE_PROMETHEUS=1 but promtool is not installed").to.equal(true);
      const config = promtool(["check", "config", DEPLOY.prometheusConfig]);
      expect(config.status, config.output).to.equal(0);
      const check = promtool(["check", "rules", DEPLOY.alerts]);
      expect(check.status, check.output).to.equal(0);
      expect(check.output).to.include(`SUCCESS: ${rules.length} rules found`);
    });

    it("pass their unit tests (promtool test rules: series in, alerts out)", () => {
      const result = promtool(["test", "rules", DEPLOY.alertTests]);
      expect(result.status, result.output).to.equal(0);
      expect(result.output).to.include("SUCCESS");
    });
  }
});
