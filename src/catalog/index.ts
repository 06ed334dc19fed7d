/** City catalogue: zones, bays, devices and their dense indices. */
export {
  type City,
  DETECTION,
  DETECTION_NAMES,
  type DetectionName,
  fnv1a,
  loadCity,
  loadCityFile,
  NONE,
} from "./city.js";
export {
  type BayDocument,
  type CityDocument,
  type CityDocumentResult,
  DETECTION_METHODS,
  type DetectionMethod,
  type GateDocument,
  validateCityDocument,
  type ZoneDocument,
} from "./schema.js";
export {
  CAPACITY_CLASSES,
  type CapacityClass,
  VEHICLE_CODES,
  VEHICLE_TYPES,
  type VehicleType,
  vehicleCode,
  vehicleName,
} from "./vehicles.js";
