// The pinned charts (shared/charts/repo: packaged charts and a Helm index.yaml) served as a Helm
// chart repository on 127.0.0.1, the way an air-gapped mirror serves them. Run detached by the e2e
// cluster: `chartRepository.ts <folder> <port>`.
import * as fs from "fs";
import * as http from "http";
import * as path from "path";

export function serveChartRepository(folder: string, port: number): http.Server {
    return http
        .createServer((request, response) => {
            const name = decodeURIComponent((request.url ?? "/").split("?")[0]).replace(/^\/+/, "");
            const file = path.join(folder, name);
            if (request.method !== "GET" || name.includes("..") || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
                response.writeHead(404).end();
                return;
            }
            response.writeHead(200, { "Content-Type": name.endsWith(".yaml") ? "application/yaml" : "application/gzip" });
            fs.createReadStream(file).pipe(response);
        })
        .listen(port, "127.0.0.1");
}

if (require.main === module) {
    const [folder, port] = process.argv.slice(2);
    serveChartRepository(folder, Number(port));
}
