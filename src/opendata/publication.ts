/**
 * What may leave through the open-data feeds. Under Indonesia's public-information law (UU 14/2008,
 * Keterbukaan Informasi Publik) information is public unless the city's information officer (PPID)
 * excludes it; this config records that decision per dataset and per field, with its reference.
 * Every feed asks it before writing a dataset or a field: excluded data never leaves.
 */
import { lazySchema } from "../catalog/zod.js";
import { ParkirConfigError } from "../errors/index.js";

/** Whether a dataset or field may be published. */
export type Access = "public" | "excluded";

/** Datasets the feeds are made of, and the fields each carries (feed-neutral names). */
export const DATASETS = {
  "parking-points": ["name", "location", "capacity", "detection", "street", "zoneClass"],
  occupancy: ["occupancy", "occupied", "available", "coverage", "sessions", "turnover", "dwell"],
  tariffs: ["rate", "decisions", "reason"],
  "sensor-events": ["event_type", "event_time", "curb_space_id", "data_source_device_id", "vehicle_type"],
  "sensor-health": ["silent"],
  "payment-records": ["session", "amount"],
  "device-diagnostics": ["heartbeat", "device_status"],
} as const;

/** A dataset id. */
export type DatasetId = keyof typeof DATASETS;
/** Dataset ids in a fixed order. */
export const DATASET_IDS = Object.keys(DATASETS) as DatasetId[];
/** Datasets that hold personal data (a payer or vehicle can be singled out): never publishable. */
export const PERSONAL_DATASETS: readonly DatasetId[] = ["payment-records"];

/** The PPID decision behind a dataset's or field's status. */
export interface Decision {
  /** Public or excluded. */
  readonly access: Access;
  /** Reference of the decision (e.g. the PPID's decree number), shown next to the data. */
  readonly reference: string;
}

/** One dataset's decision and the decisions of its fields that differ from it. */
export interface DatasetPublication extends Decision {
  /** Field decisions; a field not named follows the dataset. */
  readonly fields: Readonly<Record<string, Decision>>;
}

/** The publication config: a decision per dataset. */
export interface Publication {
  /** Publisher name (the city's department), used in DCAT and CDS envelopes. */
  readonly publisher: string;
  /** Licence URL of what is public. */
  readonly license: string;
  /** Decision per dataset. */
  readonly datasets: Readonly<Record<DatasetId, DatasetPublication>>;
}

const publicationSchema = lazySchema((z) => {
  const decision = z.object({
    access: z.enum(["public", "excluded"]),
    reference: z.string().min(1).max(300),
  });
  const datasetShape = Object.fromEntries(
    DATASET_IDS.map((id) => [
      id,
      decision
        .extend({
          fields: z
            .partialRecord(z.enum(DATASETS[id] as unknown as [string, ...string[]]), decision)
            .optional()
            .default({}),
        })
        .strict()
        .optional(),
    ]),
  );
  return z
    .object({
      publisher: z.string().min(1).max(300).optional(),
      license: z.url().optional(),
      datasets: z.object(datasetShape).strict().optional().default({}),
    })
    .strict();
});

/** Reference of the built-in defaults, shown until the city records its own PPID decisions. */
export const DEFAULT_REFERENCE = "Bawaan parkir (UU 14/2008 Pasal 17), menunggu keputusan PPID";

/**
 * Default decisions: the catalogue, aggregates, tariffs, sensor events and sensor-health counts public;
 * payment records and raw device diagnostics excluded.
 */
export const DEFAULT_PUBLICATION: Publication = {
  publisher: "Dinas Perhubungan Kota Palu",
  license: "https://creativecommons.org/licenses/by/4.0/",
  datasets: Object.fromEntries(
    DATASET_IDS.map((id) => [
      id,
      {
        access: id === "payment-records" || id === "device-diagnostics" ? "excluded" : "public",
        reference: DEFAULT_REFERENCE,
        fields: {},
      },
    ]),
  ) as Record<DatasetId, DatasetPublication>,
};

/**
 * Validates a publication document and merges it over the defaults.
 *
 * @throws ParkirConfigError on an unknown dataset or field, a missing reference, or a personal-data
 *   dataset marked public.
 * @example loadPublication({ datasets: { occupancy: { access: "public", reference: "SK PPID 12/2026", fields: { dwell: { access: "excluded", reference: "SK PPID 13/2026" } } } } })
 */
export function loadPublication(json: unknown): Publication {
  const parsed = publicationSchema().safeParse(json ?? {});
  if (!parsed.success)
    throw new ParkirConfigError(
      "publication config",
      parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  const doc = parsed.data;
  const datasets = { ...DEFAULT_PUBLICATION.datasets } as Record<DatasetId, DatasetPublication>;
  for (const id of DATASET_IDS) {
    const d = (doc.datasets as Record<string, DatasetPublication | undefined>)[id];
    if (d === undefined) continue;
    if (PERSONAL_DATASETS.includes(id) && (d.access === "public" || Object.values(d.fields).some(isPublic)))
      throw new ParkirConfigError("publication config", [
        { path: `datasets.${id}`, message: "holds personal data (payment sessions) and cannot be public" },
      ]);
    datasets[id] = { access: d.access, reference: d.reference, fields: d.fields };
  }
  return {
    publisher: doc.publisher ?? DEFAULT_PUBLICATION.publisher,
    license: doc.license ?? DEFAULT_PUBLICATION.license,
    datasets,
  };
}

function isPublic(d: Decision): boolean {
  return d.access === "public";
}

/** True when the dataset is public. */
export function datasetPublic(p: Publication, dataset: DatasetId): boolean {
  return p.datasets[dataset].access === "public";
}

/** True when the dataset is public and the field is not excluded (a field follows its dataset unless named). */
export function fieldPublic(p: Publication, dataset: DatasetId, field: string): boolean {
  const d = p.datasets[dataset];
  if (d.access !== "public") return false;
  return (d.fields[field]?.access ?? "public") === "public";
}

/** Returns a copy of `p` with one dataset's field set to `access` (for tests and admin tools). */
export function withField(
  p: Publication,
  dataset: DatasetId,
  field: string,
  access: Access,
  reference: string,
): Publication {
  const d = p.datasets[dataset];
  return {
    ...p,
    datasets: { ...p.datasets, [dataset]: { ...d, fields: { ...d.fields, [field]: { access, reference } } } },
  };
}
