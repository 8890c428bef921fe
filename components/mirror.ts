import { ChartPin } from "../config/charts";
import { MirrorConfig } from "../config/mirror";
import { HelmValues } from "./helm";

/**
 * Where Helm takes a chart from: its upstream repository, or the mirror. An OCI mirror names the
 * chart in the reference itself (oci://registry/path/<chart>); an HTTP mirror is a repository.
 */
export function chartSource(pin: ChartPin, mirror?: MirrorConfig): { chart: string; repositoryOpts?: { repo: string } } {
    const repository = mirror?.chartRepository;
    if (repository === undefined) return { chart: pin.chart, repositoryOpts: { repo: pin.repo } };
    if (repository.startsWith("oci://")) return { chart: `${repository}/${pin.chart}` };
    return { chart: pin.chart, repositoryOpts: { repo: repository } };
}

/** Values that send every image of a chart to the mirror registry, with its pull secrets. */
export function mirrorValues(_pin: ChartPin, _mirror?: MirrorConfig): HelmValues {
    return {};
}
