import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // type-graphql requires graphql's CommonJS build; without this alias vite resolves the .mjs
    // build too and graphql refuses objects from "another realm".
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
