import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = fileURLToPath(new URL("./src/", import.meta.url))

export default defineConfig({
  resolve: {
    alias: [
      { find: /^effect-guard$/, replacement: `${src}index.ts` },
      { find: /^effect-guard\/stores\/redis$/, replacement: `${src}stores/redis/index.ts` },
      { find: /^effect-guard\/(.*)$/, replacement: `${src}$1.ts` }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks"
  }
})
