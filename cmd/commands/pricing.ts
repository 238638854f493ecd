import { defineCommand } from "citty";

export default defineCommand({
  meta: { name: "pricing", description: "The prices Halton Meter applies: list them, install newer genai-prices data, price stored requests again" },
  subCommands: {
    list: () => import("./pricing/list.ts").then((m) => m.default),
    update: () => import("./pricing/update.ts").then((m) => m.default),
    reprice: () => import("./pricing/reprice.ts").then((m) => m.default),
  },
});
