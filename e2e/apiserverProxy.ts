// An authenticating proxy on 127.0.0.1 in front of the e2e API server, for a program that takes only
// an API server address and no credentials (the Prometheus operator's --apiserver, run on the host in
// place of its container). Streams both ways, so watches work. Run detached by the e2e cluster:
// `apiserverProxy.ts <kubeconfig> <port>`.
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import YAML from "yaml";

export function serveApiserverProxy(kubeconfig: string, port: number): http.Server {
    const config = YAML.parse(fs.readFileSync(kubeconfig, "utf8"));
    const server = new URL(config.clusters[0].cluster.server);
    const token: string = config.users[0].user.token;
    return http
        .createServer((request, response) => {
            const upstream = https.request(
                {
                    host: server.hostname,
                    port: server.port,
                    method: request.method,
                    path: request.url,
                    headers: { ...request.headers, host: server.host, authorization: `Bearer ${token}` },
                    // The API server's self-signed loopback certificate, as in the kubeconfig.
                    rejectUnauthorized: false,
                },
                (answer) => {
                    response.writeHead(answer.statusCode ?? 502, answer.headers);
                    answer.pipe(response);
                },
            );
            upstream.on("error", () => response.destroy());
            request.pipe(upstream);
        })
        .listen(port, "127.0.0.1");
}

if (require.main === module) {
    const [kubeconfig, port] = process.argv.slice(2);
    serveApiserverProxy(kubeconfig, Number(port));
}
