export { priceUsage, findOverride } from "./price.ts";
export { listPrices, type ListPricesOptions } from "./list.ts";
export { priceDataInfo, LIBRARY_SOURCE } from "./library.ts";
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
