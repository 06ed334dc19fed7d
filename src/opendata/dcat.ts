/**
 * The DCAT-AP catalogue (JSON-LD) of the public datasets, in Indonesian and English: what a CKAN or
 * Satu Data harvester reads to list them. Excluded datasets are not listed at all.
 */
import type { FeedContext } from "./cds.js";
import { round6 } from "./cds.js";
import { decisionDates, occupancyDates } from "./downloads.js";
import { type DatasetId, datasetPublic } from "./publication.js";

const FREQ = "http://publications.europa.eu/resource/authority/frequency/";
const IANA = "https://www.iana.org/assignments/media-types/";

interface Text {
  readonly id: string;
  readonly en: string;
}

/** A dataset's title and description in Indonesian and English. */
export interface DatasetText {
  readonly title: Text;
  readonly description: Text;
  readonly keywords: Text[];
  readonly frequency: "CONT" | "HOURLY" | "DAILY" | "IRREG";
}

/** Titles and descriptions of each dataset in Indonesian and English. */
export const DATASET_TEXT: Readonly<Record<DatasetId, DatasetText>> = {
  "parking-points": {
    title: { id: "Titik parkir tepi jalan", en: "On-street parking points" },
    description: {
      id: "Lokasi, kapasitas (mobil dan sepeda motor), jenis jalan dan cara deteksi setiap titik parkir.",
      en: "Location, capacity (cars and motorcycles), street kind and detection method of every parking point.",
    },
    keywords: [
      { id: "parkir", en: "parking" },
      { id: "lokasi", en: "location" },
    ],
    frequency: "IRREG",
  },
  occupancy: {
    title: { id: "Tingkat keterisian parkir", en: "Parking occupancy" },
    description: {
      id: "Keterisian per titik parkir per 5 menit dan per jam (waktu kejadian, WITA), cakupan sensor, jumlah kunjungan, perputaran dan lama parkir rata-rata.",
      en: "Occupancy per parking point per 5 minutes and per hour (event time, local time), sensor coverage, visits, turnover and mean dwell time.",
    },
    keywords: [
      { id: "keterisian", en: "occupancy" },
      { id: "parkir", en: "parking" },
    ],
    frequency: "CONT",
  },
  tariffs: {
    title: { id: "Tarif parkir dan keputusan tarif", en: "Parking tariffs and tariff decisions" },
    description: {
      id: "Tarif yang berlaku per titik dan jenis kendaraan, serta setiap perubahan tarif dinamis dengan alasannya.",
      en: "Tariffs in force per point and vehicle class, and every dynamic tariff change with its reason.",
    },
    keywords: [
      { id: "tarif", en: "tariff" },
      { id: "retribusi", en: "parking fee" },
    ],
    frequency: "HOURLY",
  },
  "sensor-events": {
    title: { id: "Kejadian sensor parkir", en: "Parking sensor events" },
    description: {
      id: "Kejadian parkir mulai/selesai dan masuk/keluar area dari sensor dan penghitung gerbang (tanpa data pembayaran).",
      en: "Park start/end and area enter/exit events from bay sensors and gate counters (no payment data).",
    },
    keywords: [
      { id: "sensor", en: "sensor" },
      { id: "CDS", en: "CDS" },
    ],
    frequency: "CONT",
  },
  "sensor-health": {
    title: { id: "Kesehatan sensor", en: "Sensor health" },
    description: {
      id: "Jumlah sensor per titik yang diam, terputus atau dinonaktifkan.",
      en: "Number of sensors per point that are silent, lost or decommissioned.",
    },
    keywords: [{ id: "sensor", en: "sensor" }],
    frequency: "CONT",
  },
  "payment-records": {
    title: { id: "Catatan pembayaran", en: "Payment records" },
    description: { id: "Sesi pembayaran parkir.", en: "Parking payment sessions." },
    keywords: [],
    frequency: "CONT",
  },
  "device-diagnostics": {
    title: { id: "Diagnostik perangkat", en: "Device diagnostics" },
    description: {
      id: "Laporan rutin, putus dan pulih komunikasi per sensor.",
      en: "Scheduled reports and communication lost/restored per sensor.",
    },
    keywords: [{ id: "sensor", en: "sensor" }],
    frequency: "CONT",
  },
};

const lang = (t: Text) => [
  { "@language": "id", "@value": t.id },
  { "@language": "en", "@value": t.en },
];

/** `GET /catalog`: DCAT-AP JSON-LD of the public datasets and their distributions. */
export function dcatCatalog(ctx: FeedContext): unknown {
  const { hub, publication: pub, baseUrl } = ctx;
  const lats = hub.city.zones.map((z) => z.location.lat);
  const lons = hub.city.zones.map((z) => z.location.lon);
  const [w, s, e, n] = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)].map(
    round6,
  );
  const spatial = {
    "@type": "dct:Location",
    "dcat:bbox": {
      "@type": "gsp:wktLiteral",
      "@value": `POLYGON((${w} ${s},${e} ${s},${e} ${n},${w} ${n},${w} ${s}))`,
    },
    "dcat:centroid": {
      "@type": "gsp:wktLiteral",
      "@value": `POINT(${round6((w! + e!) / 2)} ${round6((s! + n!) / 2)})`,
    },
    "skos:prefLabel": `${hub.city.name}, Sulawesi Tengah, Indonesia`,
  };
  const publisher = { "@type": "foaf:Agent", "foaf:name": pub.publisher };
  const hours = hub.hourRows();
  const temporal =
    hours.length > 0
      ? {
          "@type": "dct:PeriodOfTime",
          "dcat:startDate": { "@type": "xsd:dateTime", "@value": hub.clock.iso(hours[0]!.startMs) },
          "dcat:endDate": {
            "@type": "xsd:dateTime",
            "@value": hub.clock.iso(hours[hours.length - 1]!.startMs + 3_600_000),
          },
        }
      : undefined;
  const dist = (id: string, title: Text, url: string, media: string, format: string) => ({
    "@id": `${baseUrl}/catalog#${id}`,
    "@type": "dcat:Distribution",
    "dct:title": lang(title),
    "dcat:accessURL": { "@id": url },
    "dcat:downloadURL": { "@id": url },
    "dcat:mediaType": { "@id": `${IANA}${media}` },
    "dct:format": format,
    "dct:license": { "@id": pub.license },
  });
  const distributions: Record<DatasetId, unknown[]> = {
    "parking-points": [
      dist(
        "points-geojson",
        { id: "Titik parkir (GeoJSON)", en: "Parking points (GeoJSON)" },
        `${baseUrl}/geojson/points`,
        "application/geo+json",
        "GeoJSON",
      ),
      dist(
        "points-csv",
        { id: "Titik parkir (CSV)", en: "Parking points (CSV)" },
        `${baseUrl}/downloads/parking-points.csv`,
        "text/csv",
        "CSV",
      ),
      dist(
        "curbs-zones",
        { id: "CDS Curbs: zona", en: "CDS Curbs: zones" },
        `${baseUrl}/curbs/zones`,
        "application/json",
        "CDS",
      ),
      dist(
        "ngsi-sites",
        { id: "NGSI-LD OnStreetParking", en: "NGSI-LD OnStreetParking" },
        `${baseUrl}/ngsi-ld/v1/entities?type=OnStreetParking,OffStreetParking`,
        "application/ld+json",
        "NGSI-LD",
      ),
    ],
    occupancy: [
      dist(
        "metrics-aggregates",
        { id: "CDS Metrics: agregat per jam", en: "CDS Metrics: hourly aggregates" },
        `${baseUrl}/metrics/aggregates`,
        "text/csv",
        "CSV",
      ),
      dist(
        "ngsi-spots",
        { id: "NGSI-LD ParkingSpot", en: "NGSI-LD ParkingSpot" },
        `${baseUrl}/ngsi-ld/v1/entities?type=ParkingSpot`,
        "application/ld+json",
        "NGSI-LD",
      ),
      ...occupancyDates(ctx).map((d) =>
        dist(
          `occupancy-${d}`,
          { id: `Keterisian per jam ${d}`, en: `Hourly occupancy ${d}` },
          `${baseUrl}/downloads/occupancy-hourly-${d}.csv`,
          "text/csv",
          "CSV",
        ),
      ),
    ],
    tariffs: [
      dist(
        "curbs-policies",
        { id: "CDS Curbs: kebijakan tarif", en: "CDS Curbs: tariff policies" },
        `${baseUrl}/curbs/policies`,
        "application/json",
        "CDS",
      ),
      ...decisionDates(ctx).map((d) =>
        dist(
          `decisions-${d}`,
          { id: `Keputusan tarif ${d}`, en: `Tariff decisions ${d}` },
          `${baseUrl}/downloads/tariff-decisions-${d}.csv`,
          "text/csv",
          "CSV",
        ),
      ),
    ],
    "sensor-events": [
      dist(
        "cds-events",
        { id: "CDS Events", en: "CDS Events" },
        `${baseUrl}/events/events`,
        "application/json",
        "CDS",
      ),
    ],
    "sensor-health": [
      dist(
        "health-geojson",
        { id: "Kesehatan sensor per titik (GeoJSON)", en: "Sensor health per point (GeoJSON)" },
        `${baseUrl}/geojson/points`,
        "application/geo+json",
        "GeoJSON",
      ),
    ],
    "payment-records": [],
    "device-diagnostics": [
      dist(
        "cds-events-diagnostics",
        { id: "CDS Events (diagnostik)", en: "CDS Events (diagnostics)" },
        `${baseUrl}/events/events`,
        "application/json",
        "CDS",
      ),
    ],
  };
  const datasets = (Object.keys(DATASET_TEXT) as DatasetId[])
    .filter((id) => datasetPublic(pub, id))
    .map((id) => {
      const t = DATASET_TEXT[id];
      const ds: Record<string, unknown> = {
        "@id": `${baseUrl}/catalog#${id}`,
        "@type": "dcat:Dataset",
        "dct:identifier": `${hub.city.id}-${id}`,
        "dct:title": lang(t.title),
        "dct:description": lang(t.description),
        "dcat:keyword": t.keywords.flatMap(lang),
        "dct:publisher": publisher,
        "dct:license": { "@id": pub.license },
        "dct:accessRights": { "@id": "http://publications.europa.eu/resource/authority/access-right/PUBLIC" },
        "dct:conformsTo": { "@id": "https://peraturan.bpk.go.id/Details/39047/uu-no-14-tahun-2008" },
        "adms:versionNotes": `PPID: ${pub.datasets[id].reference}`,
        "dct:spatial": spatial,
        "dct:accrualPeriodicity": { "@id": `${FREQ}${t.frequency}` },
        "dcat:contactPoint": { "@type": "vcard:Organization", "vcard:fn": pub.publisher },
        "dcat:distribution": distributions[id],
      };
      if (temporal && id !== "parking-points") ds["dct:temporal"] = temporal;
      if (Number.isFinite(hub.updatedAtMs))
        ds["dct:modified"] = { "@type": "xsd:dateTime", "@value": hub.clock.iso(hub.updatedAtMs) };
      return ds;
    });
  return {
    "@context": {
      dcat: "http://www.w3.org/ns/dcat#",
      dct: "http://purl.org/dc/terms/",
      foaf: "http://xmlns.com/foaf/0.1/",
      vcard: "http://www.w3.org/2006/vcard/ns#",
      xsd: "http://www.w3.org/2001/XMLSchema#",
      gsp: "http://www.opengis.net/ont/geosparql#",
      skos: "http://www.w3.org/2004/02/skos/core#",
      adms: "http://www.w3.org/ns/adms#",
    },
    "@id": `${baseUrl}/catalog`,
    "@type": "dcat:Catalog",
    "dct:title": lang({
      id: `Data terbuka parkir ${hub.city.name}`,
      en: `${hub.city.name} parking open data`,
    }),
    "dct:description": lang({
      id: `Data parkir tepi jalan ${hub.city.name} yang tidak dikecualikan (UU 14/2008), langsung dari sensor dan tarif dinamis.`,
      en: `${hub.city.name}'s on-street parking data that is not excluded (Law 14/2008), live from sensors and dynamic tariffs.`,
    }),
    "dct:publisher": publisher,
    "dct:license": { "@id": pub.license },
    "dct:language": [
      { "@id": "http://publications.europa.eu/resource/authority/language/IND" },
      { "@id": "http://publications.europa.eu/resource/authority/language/ENG" },
    ],
    "dct:spatial": spatial,
    "dcat:dataset": datasets,
  };
}
