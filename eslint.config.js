// Lint is part of the test command: a red lint fails CI.
// Budgets follow STYLE.md 3.4 (pepr's), loosened a little where the translator's tables need room.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The layering README's Architecture section draws: data flows kube → store → translator → sender →
// kong, results → status. Each folder lists the folders of ours it must never import; cli/ and
// runtime/ (the composition roots) may import anything but each other's entry points.
const folders = [
  "cli",
  "config",
  "kong",
  "kube",
  "model",
  "pipeline",
  "runtime",
  "sender",
  "status",
  "store",
  "telemetry",
  "translator",
  "util",
];
const allBut = (...allowed) => folders.filter(f => !allowed.includes(f));
const forbiddenFolders = {
  util: allBut(),
  model: allBut("util"),
  config: allBut("util", "model"),
  telemetry: allBut("util", "config"),
  kube: allBut("util", "model"),
  store: allBut("util", "model", "kube", "translator"),
  translator: allBut("util", "model", "kong"),
  kong: allBut("util", "model"),
  sender: allBut("util", "model", "kong", "translator"),
  status: allBut("util", "model", "kube", "telemetry", "translator"),
  pipeline: ["runtime", "cli"],
  runtime: ["cli"],
};

const folderPatterns = folder => [
  {
    group: forbiddenFolders[folder].map(f => `**/${f}/**`),
    message: `${folder}/ must not import from this folder (see the layering in eslint.config.js and README).`,
  },
];

const PURE_LIBRARIES = [
  "undici",
  "pino",
  "prom-client",
  "p-retry",
  "@kubernetes/client-node",
  "node:fs",
  "node:fs/promises",
  "node:http",
  "node:https",
  "node:net",
  "node:process",
  "node:timers",
  "node:child_process",
];

const NODE_PREFIX = {
  group: ["fs", "http", "https", "net", "crypto", "path", "url", "os", "child_process"],
  message: "Use the node: prefix.",
};

// An ES import of node:http's values builds its namespace, whose WebSocket getters load Node's bundled
// undici: 14 MiB of RSS per thread (src/telemetry/http-server.ts, docs/benchmarks.md).
const NODE_HTTP_VALUES = {
  group: ["node:http"],
  importNames: ["createServer", "Server", "request", "get", "Agent"],
  message: "Take createServer from src/telemetry/http-server.ts (process.getBuiltinModule).",
};

/** Folders of pure code: no clock, randomness, env or timers either. */
const PURE_FOLDERS = ["src/translator/**", "src/kong/validate/**", "src/model/**"];

const layering = {
  ...Object.fromEntries(
    Object.keys(forbiddenFolders)
      .filter(f => f !== "translator")
      .map(f => [`src/${f}/**`, folderPatterns(f)]),
  ),
  // The translator is pure: no I/O, clock, logger, env, nor any module that does I/O.
  "src/translator/**": [
    ...folderPatterns("translator"),
    {
      group: ["**/kong/admin-client*"],
      message: "translator/ is pure: it must not depend on I/O layers.",
    },
    {
      group: PURE_LIBRARIES,
      message: "translator/ is pure: no I/O, logger, metrics, clock or env.",
    },
  ],
  "src/model/**": [
    ...folderPatterns("model"),
    { group: PURE_LIBRARIES, message: "model/ is pure: types and parsing only." },
  ],
  "src/kong/validate/**": [
    ...folderPatterns("kong"),
    {
      group: PURE_LIBRARIES.filter(l => l !== "p-retry" && l !== "node:timers"),
      message: "Kong validation is pure.",
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "dist/",
      "coverage/",
      ".cache/",
      "test/golden/**/*.yaml",
      "test/kube/bins/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/explicit-module-boundary-types": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/consistent-type-imports": "error",
      eqeqeq: "error",
      "no-restricted-imports": [
        "error",
        {
          patterns: [NODE_PREFIX],
        },
      ],
      complexity: ["error", 15],
      "max-depth": ["error", 4],
      "max-params": ["error", 4],
      "max-statements": ["error", 30],
      "max-nested-callbacks": ["error", 4],
      "no-console": "error",
    },
  },
  // Later entries replace earlier values of the same rule, so each entry carries the whole pattern list.
  ...Object.entries(layering).map(([files, patterns]) => ({
    files: [files],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [NODE_PREFIX, NODE_HTTP_VALUES, ...patterns] },
      ],
    },
  })),
  ...PURE_FOLDERS.map(files => ({
    files: [files],
    rules: {
      "no-restricted-globals": ["error", "process", "fetch", "setTimeout", "setInterval", "Date"],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "Pure code takes no clock." },
        { object: "Math", property: "random", message: "Pure code is deterministic." },
      ],
    },
  })),
  {
    files: ["test/**", "**/*.test.ts", "*.config.ts", "*.config.js"],
    rules: {
      complexity: "off",
      "max-statements": "off",
      "max-params": "off",
      "max-nested-callbacks": ["error", 8],
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/explicit-module-boundary-types": "off",
    },
  },
  {
    files: ["bin/**/*.js", "eslint.config.js"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The CLI owns stdout/stderr; everything else logs through the injected pino logger.
    files: ["src/cli/**"],
    rules: { "no-console": "off" },
  },
);
