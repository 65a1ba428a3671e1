import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    // Integration suites start real processes (kube-apiserver, etcd, Kong emulators); unit tests finish far below this.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    globalSetup: ["test/support/global-setup.ts"],
  },
});
