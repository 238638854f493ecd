export { priceUsage, findOverride } from "./price.ts";
export { listPrices, type ListPricesOptions } from "./list.ts";
export { currentPriceData, followPriceDataFile, priceDataInfo, priceDataState, usePriceDataFile, type FollowOptions, type PriceDataFollower } from "./active.ts";
export { BUNDLED, inspectPriceData, type PriceData, type PriceDataState } from "./data.ts";
export type {
  PriceBreakdown,
  PriceDataInfo,
  PriceListRow,
  PriceOptions,
  PriceOverride,
  PriceOverrides,
  PriceResult,
  UsageToPrice,
} from "./types.ts";
