import { DATASOURCE_UIDS } from "../../../components/datasources";
import { StackConfig } from "../../../config/schema";
import { Check, CheckContext } from "../context";
import { describeAnswer, isSuccess, jsonOf } from "../http";
import { disabledReason, Subsystem } from "../stackTargets";

type DatasourceKey = keyof typeof DATASOURCE_UIDS;

/** The subsystem whose install provisions each datasource (components/observabilityStack.ts). */
const DATASOURCE_SUBSYSTEMS: Readonly<Record<DatasourceKey, Subsystem>> = {
    prometheus: "prometheus",
    alertmanager: "prometheus",
    loki: "loki",
    tempo: "tempo",
};

/**
 * Grafana's Alertmanager datasource has no backend, so its /health answers 500 "Plugin
 * unavailable" however healthy it is (grafana/grafana#83794). Its check asks Alertmanager's
 * status through Grafana's datasource proxy instead: the same URL, the same path from Grafana.
 */
const HEALTH_THROUGH_PROXY: Partial<Record<DatasourceKey, string>> = {
    alertmanager: "/api/v2/status",
};

interface HealthAnswer {
    status?: string;
    message?: string;
}

/** Grafana answers, and each datasource the stack provisions passes Grafana's own health check. */
export function grafanaChecks(config: StackConfig): Check[] {
    const grafanaDisabled = disabledReason(config, "grafana");
    const datasources = (Object.keys(DATASOURCE_UIDS) as DatasourceKey[]).map((key): Check => ({
        name: `grafana-datasource/${DATASOURCE_UIDS[key]}`,
        skip: grafanaDisabled ?? disabledReason(config, DATASOURCE_SUBSYSTEMS[key]),
        run: (context) => datasourceHealthy(context, key),
    }));
    return [{ name: "grafana", skip: grafanaDisabled, run: grafanaAnswers }, ...datasources];
}

async function grafanaAnswers(context: CheckContext): Promise<string> {
    const grafana = await context.endpoint(context.services.grafana);
    const answer = await context.request(grafana, "/api/health");
    const what = `GET ${grafana.label}/api/health`;
    if (!isSuccess(answer)) throw new Error(`${what} ${describeAnswer(answer)}`);
    const health = jsonOf<{ database?: string; version?: string }>(answer, what);
    if (health.database !== "ok") throw new Error(`${what}: database is ${health.database ?? "not reported"}`);
    return `Grafana ${health.version ?? "(version not reported)"} answers at ${grafana.label}, database ok`;
}

async function datasourceHealthy(context: CheckContext, key: DatasourceKey): Promise<string> {
    const uid = DATASOURCE_UIDS[key];
    const grafana = await context.endpoint(context.services.grafana);
    const { user, password } = await context.grafanaCredentials();
    const headers = { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
    const proxied = HEALTH_THROUGH_PROXY[key];
    if (proxied) {
        const path = `/api/datasources/proxy/uid/${uid}${proxied}`;
        const answer = await context.request(grafana, path, { headers });
        if (!isSuccess(answer)) throw new Error(`datasource ${uid}: GET ${grafana.label}${path} ${describeAnswer(answer)}`);
        return `datasource ${uid} reaches its backend through Grafana's proxy (GET ${proxied} answered ${answer.status})`;
    }
    const path = `/api/datasources/uid/${uid}/health`;
    const answer = await context.request(grafana, path, { headers });
    let health: HealthAnswer = {};
    try {
        health = JSON.parse(answer.body) as HealthAnswer;
    } catch {
        // Not JSON: the status and body below say what happened.
    }
    if (!isSuccess(answer) || health.status !== "OK") {
        const reason = health.message ? `${health.status ?? answer.status}: ${health.message}` : describeAnswer(answer);
        throw new Error(`datasource ${uid} health check failed: ${reason}`);
    }
    return `datasource ${uid}: ${health.message ?? "OK"}`;
}
