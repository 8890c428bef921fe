import { lokiValues } from "../components/loki";
import { validateStackConfig } from "../config";
import { devStackConfig, ProgramRun, runIndex, stackConfig, valuesOf } from "./helpers/run";

const settings = (loki: Record<string, unknown> = {}) => validateStackConfig({ loki }).loki;
const values = (loki: Record<string, unknown> = {}, storageClass?: string): any =>
    lokiValues({ settings: settings(loki), storageClass, serviceMonitors: true, releaseName: "loki" });

describe("Loki values", () => {
    it("run Loki as one monolithic pod with every scalable target at zero", () => {
        const v = values();
        expect(v.deploymentMode).toBe("Monolithic");
        expect(v.singleBinary.replicas).toBe(1);
        for (const target of ["backend", "read", "write", "ingester", "distributor", "querier", "queryFrontend", "compactor"]) {
            expect(v[target].replicas).toBe(0);
        }
    });

    it("store chunks, index and write-ahead log on the filesystem of a PersistentVolumeClaim", () => {
        const v = values({ storageSize: "50Gi" }, "fast-ssd");
        expect(v.singleBinary.persistence).toEqual({ enabled: true, size: "50Gi", storageClass: "fast-ssd" });
        expect(v.loki.storage.type).toBe("filesystem");
        expect(v.loki.storage.filesystem.chunks_directory).toMatch(/^\/var\/loki\//);
        expect(v.loki.ingester.wal).toMatchObject({ enabled: true, dir: "/var/loki/wal" });
    });

    it("leave the StorageClass to the cluster default when none is configured", () => {
        expect(values().singleBinary.persistence.storageClass).toBe("");
    });

    it("use a TSDB schema", () => {
        expect(values().loki.schemaConfig.configs).toEqual([
            expect.objectContaining({ store: "tsdb", object_store: "filesystem", schema: "v13" }),
        ]);
    });

    it("enforce the configured retention with the compactor", () => {
        const v = values({ retention: "30d" });
        expect(v.loki.limits_config.retention_period).toBe("30d");
        expect(v.loki.compactor).toMatchObject({ retention_enabled: true, delete_request_store: "filesystem" });
    });

    it("default to 7 days of retention", () => {
        expect(values().loki.limits_config.retention_period).toBe("7d");
    });

    it("are single-tenant: no X-Scope-OrgID needed to push or query", () => {
        expect(values().loki.auth_enabled).toBe(false);
    });

    it("install nothing a dev cluster does not need: no canary, tests, gateway, MinIO or memcached", () => {
        const v = values();
        for (const part of ["lokiCanary", "test", "gateway", "minio", "memcached", "chunksCache", "resultsCache"]) {
            expect(v[part].enabled).toBe(false);
        }
        expect(v.loki.structuredConfig.chunk_store_config.chunk_cache_config.embedded_cache.max_size_mb).toBe(64);
    });

    it("size the Loki container from config", () => {
        const v = values({ resources: { requests: { cpu: "250m" } } });
        expect(v.singleBinary.resources).toEqual({ requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } });
    });

    it("pin the Service names to the release name", () => {
        expect(lokiValues({ settings: settings(), serviceMonitors: false, releaseName: "logs" }).fullnameOverride).toBe("logs");
    });
});

describe("the Loki release", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runIndex(devStackConfig());
    });

    it("exports its push URL and query URL from the release", () => {
        expect(run.outputs.lokiPushUrl).toBe("http://loki.observability.svc.cluster.local:3100/loki/api/v1/push");
        expect(run.outputs.lokiQueryUrl).toBe("http://loki.observability.svc.cluster.local:3100");
    });

    it("deep-merges extraValues last, replacing lists", async () => {
        const custom = await runIndex(
            stackConfig({
                loki: {
                    extraValues: { singleBinary: { replicas: 1, nodeSelector: { disk: "ssd" } }, loki: { schemaConfig: { configs: [] } } },
                },
            }),
        );
        const v = valuesOf(custom, "loki");
        expect(v.singleBinary.nodeSelector).toEqual({ disk: "ssd" });
        expect(v.singleBinary.persistence.size).toBe("10Gi");
        expect(v.loki.schemaConfig.configs).toEqual([]);
        expect(v.loki.auth_enabled).toBe(false);
    });
});
