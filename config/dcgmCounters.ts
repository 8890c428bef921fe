// The DCGM exporter's own default counter list (default-counters.csv of dcgm-exporter 4.5.3-4.8.2,
// the image the pinned chart runs), as data: the exporter reads the same list when no other is
// given, and dashboards and alert rules check the metrics they use against the configured list.

export type DcgmCounterType = "gauge" | "counter" | "label";

export interface DcgmCounter {
    field: string;
    type: DcgmCounterType;
    help: string;
}

export const DEFAULT_DCGM_COUNTERS: readonly DcgmCounter[] = [
    { field: "DCGM_FI_DEV_SM_CLOCK", type: "gauge", help: "SM clock frequency (in MHz)." },
    { field: "DCGM_FI_DEV_MEM_CLOCK", type: "gauge", help: "Memory clock frequency (in MHz)." },
    { field: "DCGM_FI_DEV_MEMORY_TEMP", type: "gauge", help: "Memory temperature (in C)." },
    { field: "DCGM_FI_DEV_GPU_TEMP", type: "gauge", help: "GPU temperature (in C)." },
    { field: "DCGM_FI_DEV_POWER_USAGE", type: "gauge", help: "Power draw (in W)." },
    { field: "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", type: "counter", help: "Total energy consumption since boot (in mJ)." },
    { field: "DCGM_FI_DEV_PCIE_REPLAY_COUNTER", type: "counter", help: "Total number of PCIe retries." },
    { field: "DCGM_FI_DEV_GPU_UTIL", type: "gauge", help: "GPU utilization (in %)." },
    { field: "DCGM_FI_DEV_MEM_COPY_UTIL", type: "gauge", help: "Memory utilization (in %)." },
    { field: "DCGM_FI_DEV_ENC_UTIL", type: "gauge", help: "Encoder utilization (in %)." },
    { field: "DCGM_FI_DEV_DEC_UTIL", type: "gauge", help: "Decoder utilization (in %)." },
    { field: "DCGM_FI_DEV_XID_ERRORS", type: "gauge", help: "Value of the last XID error encountered." },
    { field: "DCGM_FI_DEV_FB_FREE", type: "gauge", help: "Framebuffer memory free (in MiB)." },
    { field: "DCGM_FI_DEV_FB_USED", type: "gauge", help: "Framebuffer memory used (in MiB)." },
    { field: "DCGM_FI_DEV_FB_RESERVED", type: "gauge", help: "Framebuffer memory reserved (in MiB)." },
    { field: "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL", type: "counter", help: "Total number of NVLink bandwidth counters for all lanes." },
    { field: "DCGM_FI_DEV_VGPU_LICENSE_STATUS", type: "gauge", help: "vGPU License status" },
    { field: "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", type: "counter", help: "Number of remapped rows for uncorrectable errors" },
    { field: "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", type: "counter", help: "Number of remapped rows for correctable errors" },
    { field: "DCGM_FI_DEV_ROW_REMAP_FAILURE", type: "gauge", help: "Whether remapping of rows has failed" },
    { field: "DCGM_FI_DRIVER_VERSION", type: "label", help: "Driver Version" },
    { field: "DCGM_FI_PROF_GR_ENGINE_ACTIVE", type: "gauge", help: "Ratio of time the graphics engine is active." },
    { field: "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", type: "gauge", help: "Ratio of cycles the tensor (HMMA) pipe is active." },
    {
        field: "DCGM_FI_PROF_DRAM_ACTIVE",
        type: "gauge",
        help: "Ratio of cycles the device memory interface is active sending or receiving data.",
    },
    {
        field: "DCGM_FI_PROF_PCIE_TX_BYTES",
        type: "gauge",
        help: "The rate of data transmitted over the PCIe bus - including both protocol headers and data payloads - in bytes per second.",
    },
    {
        field: "DCGM_FI_PROF_PCIE_RX_BYTES",
        type: "gauge",
        help: "The rate of data received over the PCIe bus - including both protocol headers and data payloads - in bytes per second.",
    },
];

/** The counter list in the exporter's CSV format (`field, type, help` per line). */
export function countersCsv(counters: readonly DcgmCounter[]): string {
    return counters.map((c) => `${c.field}, ${c.type}, ${c.help.replace(/,/g, ";")}\n`).join("");
}
