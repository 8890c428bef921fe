// The DCGM exporter's counter lists, as data: fields, Prometheus types and help texts exactly as
// dcgm-exporter 4.5.3-4.8.2 (the image the pinned chart runs) writes them in its etc/*.csv files.
// The exporter is given one of the presets below, or a list of the user's; the stack's dashboards
// and alert rules need the fields in STACK_DCGM_FIELDS, and config validation refuses a list
// without them.

export type DcgmCounterType = "gauge" | "counter" | "label";

export interface DcgmCounter {
    field: string;
    type: DcgmCounterType;
    help: string;
}

/** The exporter's own default list: the uncommented lines of its default-counters.csv. */
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

/**
 * Every field the exporter's dcp-metrics-included.csv names, in its order: the uncommented lines
 * (at 4.5.3-4.8.2 the same fields as default-counters.csv) and the ones it ships commented out
 * (throttling, ECC, retired pages, NVLink errors, inventory labels, the other profiling pipes).
 * Where a field appears twice (PCIe TX/RX bytes), its uncommented line is the one kept. Nothing
 * here breaks a GPU that lacks a field: the exporter skips a profiling field the GPU cannot
 * collect (with a warning) and any field without a value (internal/pkg/collector/gpu_collector.go).
 */
export const FULL_DCGM_COUNTERS: readonly DcgmCounter[] = [
    // Every line of the default list is in dcp-metrics-included.csv too, with the same type and help.
    ...DEFAULT_DCGM_COUNTERS,
    { field: "DCGM_FI_DEV_POWER_VIOLATION", type: "counter", help: "Throttling duration due to power constraints (in ns)." },
    { field: "DCGM_FI_DEV_THERMAL_VIOLATION", type: "counter", help: "Throttling duration due to thermal constraints (in ns)." },
    { field: "DCGM_FI_DEV_SYNC_BOOST_VIOLATION", type: "counter", help: "Throttling duration due to sync-boost constraints (in ns)." },
    { field: "DCGM_FI_DEV_BOARD_LIMIT_VIOLATION", type: "counter", help: "Throttling duration due to board limit constraints (in ns)." },
    { field: "DCGM_FI_DEV_LOW_UTIL_VIOLATION", type: "counter", help: "Throttling duration due to low utilization (in ns)." },
    { field: "DCGM_FI_DEV_RELIABILITY_VIOLATION", type: "counter", help: "Throttling duration due to reliability constraints (in ns)." },
    { field: "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", type: "counter", help: "Total number of single-bit volatile ECC errors." },
    { field: "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", type: "counter", help: "Total number of double-bit volatile ECC errors." },
    { field: "DCGM_FI_DEV_ECC_SBE_AGG_TOTAL", type: "counter", help: "Total number of single-bit persistent ECC errors." },
    { field: "DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", type: "counter", help: "Total number of double-bit persistent ECC errors." },
    { field: "DCGM_FI_DEV_RETIRED_SBE", type: "counter", help: "Total number of retired pages due to single-bit errors." },
    { field: "DCGM_FI_DEV_RETIRED_DBE", type: "counter", help: "Total number of retired pages due to double-bit errors." },
    { field: "DCGM_FI_DEV_RETIRED_PENDING", type: "counter", help: "Total number of pages pending retirement." },
    { field: "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL", type: "counter", help: "Total number of NVLink flow-control CRC errors." },
    { field: "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL", type: "counter", help: "Total number of NVLink data CRC errors." },
    { field: "DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL", type: "counter", help: "Total number of NVLink retries." },
    { field: "DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL", type: "counter", help: "Total number of NVLink recovery errors." },
    {
        field: "DCGM_FI_DEV_NVLINK_BANDWIDTH_L0",
        type: "counter",
        help: "The number of bytes of active NVLink rx or tx data including both header and payload.",
    },
    { field: "DCGM_FI_NVML_VERSION", type: "label", help: "NVML Version" },
    { field: "DCGM_FI_DEV_BRAND", type: "label", help: "Device Brand" },
    { field: "DCGM_FI_DEV_SERIAL", type: "label", help: "Device Serial Number" },
    { field: "DCGM_FI_DEV_OEM_INFOROM_VER", type: "label", help: "OEM inforom version" },
    { field: "DCGM_FI_DEV_ECC_INFOROM_VER", type: "label", help: "ECC inforom version" },
    { field: "DCGM_FI_DEV_POWER_INFOROM_VER", type: "label", help: "Power management object inforom version" },
    { field: "DCGM_FI_DEV_INFOROM_IMAGE_VER", type: "label", help: "Inforom image version" },
    { field: "DCGM_FI_DEV_VBIOS_VERSION", type: "label", help: "VBIOS version of the device" },
    { field: "DCGM_FI_PROF_SM_ACTIVE", type: "gauge", help: "The ratio of cycles an SM has at least 1 warp assigned." },
    { field: "DCGM_FI_PROF_SM_OCCUPANCY", type: "gauge", help: "The ratio of number of warps resident on an SM." },
    { field: "DCGM_FI_PROF_PIPE_FP64_ACTIVE", type: "gauge", help: "Ratio of cycles the fp64 pipes are active." },
    { field: "DCGM_FI_PROF_PIPE_FP32_ACTIVE", type: "gauge", help: "Ratio of cycles the fp32 pipes are active." },
    { field: "DCGM_FI_PROF_PIPE_FP16_ACTIVE", type: "gauge", help: "Ratio of cycles the fp16 pipes are active." },
];

/**
 * The DCGM fields the stack's dashboards and alert rules query (tests/dcgmExporter.test.ts keeps
 * this list equal to what they use): a counter list without one of them leaves panels empty and
 * alerts silent.
 */
export const STACK_DCGM_FIELDS: readonly string[] = [
    "DCGM_FI_DEV_SM_CLOCK",
    "DCGM_FI_DEV_MEM_CLOCK",
    "DCGM_FI_DEV_MEMORY_TEMP",
    "DCGM_FI_DEV_GPU_TEMP",
    "DCGM_FI_DEV_POWER_USAGE",
    "DCGM_FI_DEV_GPU_UTIL",
    "DCGM_FI_DEV_MEM_COPY_UTIL",
    "DCGM_FI_DEV_XID_ERRORS",
    "DCGM_FI_DEV_FB_FREE",
    "DCGM_FI_DEV_FB_USED",
];

/**
 * What an operator reads in a GPU incident besides the dashboards' fields: is the GPU throttled,
 * is its memory or its PCIe link failing, which driver runs it.
 */
export const INCIDENT_DCGM_FIELDS: readonly string[] = [
    // Time throttled by the power cap and by heat: why SM clocks (on the fleet dashboard) dropped under load.
    "DCGM_FI_DEV_POWER_VIOLATION",
    "DCGM_FI_DEV_THERMAL_VIOLATION",
    // PCIe retries: a degrading link or riser, before the GPU falls off the bus (XID 79).
    "DCGM_FI_DEV_PCIE_REPLAY_COUNTER",
    // Uncorrectable memory errors the GPU remapped (a reset is due), and remapping that failed (replace the GPU).
    "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS",
    "DCGM_FI_DEV_ROW_REMAP_FAILURE",
    // A label on every series, no series of its own: many XIDs are read against the driver version.
    "DCGM_FI_DRIVER_VERSION",
];

const pick = (fields: readonly string[]): readonly DcgmCounter[] => FULL_DCGM_COUNTERS.filter((c) => fields.includes(c.field));

/** The fleet list: the dashboards' and alerts' fields plus the incident handful, nothing else. */
export const LEAN_DCGM_COUNTERS: readonly DcgmCounter[] = pick([...STACK_DCGM_FIELDS, ...INCIDENT_DCGM_FIELDS]);

/** The presets `dcgmExporter.counters` may name instead of a list. */
export const DCGM_COUNTER_SETS = {
    lean: LEAN_DCGM_COUNTERS,
    default: DEFAULT_DCGM_COUNTERS,
    full: FULL_DCGM_COUNTERS,
} as const;
export type DcgmCounterSet = keyof typeof DCGM_COUNTER_SETS;
export const DCGM_COUNTER_SET_NAMES = Object.keys(DCGM_COUNTER_SETS) as [DcgmCounterSet, ...DcgmCounterSet[]];

/** The counters `dcgmExporter.counters` stands for: a preset's list, or the list itself. */
export function dcgmCounterList(counters: DcgmCounterSet | readonly DcgmCounter[]): readonly DcgmCounter[] {
    return typeof counters === "string" ? DCGM_COUNTER_SETS[counters] : counters;
}

/** The stack's fields a counter list lacks. */
export const missingStackFields = (counters: readonly DcgmCounter[]): string[] =>
    STACK_DCGM_FIELDS.filter((field) => !counters.some((c) => c.field === field));

/** The counter list in the exporter's CSV format (`field, type, help` per line). */
export function countersCsv(counters: readonly DcgmCounter[]): string {
    return counters.map((c) => `${c.field}, ${c.type}, ${c.help.replace(/,/g, ";")}\n`).join("");
}
