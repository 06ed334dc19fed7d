/**
 * Open data: CDS, NGSI-LD, GeoJSON and DCAT feeds of the live hub, the publication decisions that
 * govern them, and the HTTP handler (with the dashboard) a host mounts. See docs/OPEN-DATA.md.
 */
export {
  CDS_CSV,
  CDS_JSON,
  cdsAggregates,
  cdsEvents,
  curbPolicies,
  curbZones,
  type FeedContext,
  zoneUuid,
} from "./cds.js";
export { dashboardSeries, dashboardState } from "./dashboard-api.js";
export { DATASET_TEXT, type DatasetText, dcatCatalog } from "./dcat.js";
export { decisionsCsv, occupancyCsv, pointsCsv } from "./downloads.js";
export { geojsonPoints, type PointProperties } from "./geojson.js";
export { createOpenDataHandler, type OpenDataHandlerOptions } from "./http.js";
export {
  type BayHealth,
  type BayStatus,
  type CurrentPrice,
  createOpenDataHub,
  type HourRow,
  type HubUpdate,
  type OccupancySource,
  OpenDataHub,
  type OpenDataHubOptions,
  type PublicEvent,
} from "./hub.js";
export { NGSI_CONTEXT, NGSI_TYPES, ngsiEntities } from "./ngsi.js";
export { DEFAULT_LIMITS, type FeedLimits, ParkirParamError } from "./params.js";
export {
  type Access,
  DATASET_IDS,
  DATASETS,
  type DatasetId,
  type DatasetPublication,
  DEFAULT_PUBLICATION,
  type Decision,
  datasetPublic,
  fieldPublic,
  loadPublication,
  type Publication,
  withField,
} from "./publication.js";
export { ReplayFeeder, type ReplayFeederOptions } from "./replay.js";
