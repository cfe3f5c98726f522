import { ChallengeError, ChallengeErrorCode } from "./common.ts";

/**
 * Regions a provider (or checker) can claim. Coordinates are the metro of
 * the usual cloud region of that name (public data-centre locations);
 * `radiusKm` is how far from that point a machine may sit and still honestly
 * claim the region (a decentralized provider is rarely in the hyperscaler's
 * building). The bound below subtracts both radii, so it never accuses a
 * machine that is inside its claimed circle.
 *
 * `code` is the on-wire uint8 (transcripts, registry); 0 is `local`, the
 * devnet/loopback region, which has no position and so no physical bound.
 */
export interface Region {
  code: number;
  id: string;
  name: string;
  latitude: number;
  longitude: number;
  radiusKm: number;
}

/** Tolerance around a region's metro. 500 km covers e.g. New York to Ashburn (~360 km) and Amsterdam to Frankfurt (~360 km). */
export const DEFAULT_REGION_RADIUS_KM = 500;

const R = DEFAULT_REGION_RADIUS_KM;

export const REGIONS: readonly Region[] = Object.freeze([
  { code: 0, id: "local", name: "devnet / loopback", latitude: 0, longitude: 0, radiusKm: 0 },
  { code: 1, id: "us-east", name: "Ashburn, Virginia", latitude: 39.04, longitude: -77.49, radiusKm: R },
  {
    code: 2,
    id: "us-central",
    name: "Council Bluffs, Iowa",
    latitude: 41.26,
    longitude: -95.86,
    radiusKm: R,
  },
  { code: 3, id: "us-west", name: "The Dalles, Oregon", latitude: 45.6, longitude: -121.18, radiusKm: R },
  { code: 4, id: "ca-central", name: "Montreal", latitude: 45.5, longitude: -73.57, radiusKm: R },
  { code: 5, id: "sa-east", name: "São Paulo", latitude: -23.55, longitude: -46.63, radiusKm: R },
  { code: 6, id: "eu-west", name: "Dublin", latitude: 53.35, longitude: -6.26, radiusKm: R },
  { code: 7, id: "eu-central", name: "Frankfurt", latitude: 50.11, longitude: 8.68, radiusKm: R },
  { code: 8, id: "eu-north", name: "Stockholm", latitude: 59.33, longitude: 18.07, radiusKm: R },
  { code: 9, id: "me-central", name: "Dubai", latitude: 25.2, longitude: 55.27, radiusKm: R },
  { code: 10, id: "ap-south", name: "Mumbai", latitude: 19.08, longitude: 72.88, radiusKm: R },
  { code: 11, id: "ap-southeast", name: "Singapore", latitude: 1.35, longitude: 103.82, radiusKm: R },
  { code: 12, id: "ap-northeast", name: "Tokyo", latitude: 35.68, longitude: 139.69, radiusKm: R },
  { code: 13, id: "au-east", name: "Sydney", latitude: -33.87, longitude: 151.21, radiusKm: R },
  { code: 14, id: "af-south", name: "Cape Town", latitude: -33.92, longitude: 18.42, radiusKm: R },
] satisfies Region[]);

export type RegionId = string;

/** The loopback/devnet region: no position, so no physical bound applies to it. */
export const LOCAL_REGION = "local";

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088;

/** Speed of light in vacuum, km/s (exact by definition of the metre). */
export const SPEED_OF_LIGHT_KM_S = 299_792.458;

/**
 * Light in silica fibre travels at c / n with n ≈ 1.47, about two thirds of c.
 * Using 2/3 c with the straight great-circle path is a lower bound on any real
 * route (cables are longer than geodesics), so the bound only errs in the
 * provider's favour.
 */
export const FIBER_SPEED_KM_S = (SPEED_OF_LIGHT_KM_S * 2) / 3;

const byId = new Map(REGIONS.map((r) => [r.id, r]));
const byCode = new Map(REGIONS.map((r) => [r.code, r]));

export function regionById(id: RegionId): Region {
  const region = byId.get(id);
  if (!region) {
    throw new ChallengeError(ChallengeErrorCode.UNKNOWN_REGION, `unknown region "${id}"`, {
      id,
      known: REGIONS.map((r) => r.id),
    });
  }
  return region;
}

export function regionByCode(code: number): Region {
  const region = byCode.get(code);
  if (!region) {
    throw new ChallengeError(ChallengeErrorCode.UNKNOWN_REGION, `unknown region code ${code}`, { code });
  }
  return region;
}

function resolve(region: RegionId | Region): Region {
  return typeof region === "string" ? regionById(region) : regionByCode(region.code);
}

/** Great-circle distance between two regions' metros (haversine), km. */
export function greatCircleKm(a: RegionId | Region, b: RegionId | Region): number {
  const ra = resolve(a);
  const rb = resolve(b);
  const rad = Math.PI / 180;
  const dLat = (rb.latitude - ra.latitude) * rad;
  const dLon = (rb.longitude - ra.longitude) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(ra.latitude * rad) * Math.cos(rb.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The smallest round trip (µs, rounded down) physics allows between a
 * machine in `checkerRegion` and one in `providerRegion`:
 * `2 · max(0, distance − radius_c − radius_p) / (2/3 c)`.
 * A measured RTT below it means the answer did not come from the claimed
 * region (a proxy near the checker, or a spoofed claim). Zero when either side
 * is `local`.
 *
 * @example
 * minimumRttUs("us-east", "eu-west") // ≈ 45 ms: 5,470 km − 1,000 km of tolerance, there and back at 2/3 c
 */
export function minimumRttUs(checkerRegion: RegionId | Region, providerRegion: RegionId | Region): number {
  const c = resolve(checkerRegion);
  const p = resolve(providerRegion);
  if (c.id === LOCAL_REGION || p.id === LOCAL_REGION) return 0;
  const km = Math.max(0, greatCircleKm(c, p) - c.radiusKm - p.radiusKm);
  return Math.floor(((2 * km) / FIBER_SPEED_KM_S) * 1e6);
}
