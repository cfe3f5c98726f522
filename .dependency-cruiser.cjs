/**
 * `npm run lint:layers`: the dependency rules of issue 13.
 *
 * Packages depend only downward:
 *
 *   protocol                    pure rules, imports nothing of ours
 *   runtime   → protocol        process utilities (worker pool, logger, ...); protocol for its error base
 *   wire      → protocol, runtime
 *   contracts → protocol
 *   sim       → protocol
 *   checker, provider → protocol, contracts, wire, runtime (never each other)
 *   scripts, bench, test (e2e) → anything, through public exports
 *
 * Inside the checker, layers from top to bottom (a file may import its own
 * layer and the ones below it, never one above):
 *
 *   1. cli.ts, cli/**                 the command line
 *   2. node.ts                        wires the services of one node
 *   3. services/**                    each service built from its components
 *   4. api/**, duties/**              HTTP API, epoch duties
 *   5. network/**, chain/**, challenges/**, reports/**, validation/**, rewards/**
 *   6. db/**, keys/**, metrics/**, faults/**, utils/**, config.ts, logger.ts
 *
 * config.ts sits at the bottom: it only parses options (and fault settings),
 * and every layer may read the config types. cli → node is fine; node → cli is not.
 *
 * A package is imported only through its public `exports`: resolution honours
 * the `exports` field, so a deep import of a path no export names does not
 * resolve (rule no-unresolvable), and a relative path into another package is
 * refused (rule no-relative-cross-package).
 */

const SRC = "^packages/[^/]+/src/";
const CHECKER = "^packages/checker/src/";

/** Checker layers, top first: path patterns relative to packages/checker/src. */
const CHECKER_LAYERS = [
  { name: "cli", paths: ["cli\\.ts$", "cli/"] },
  { name: "node", paths: ["node\\.ts$"] },
  { name: "services", paths: ["services/"] },
  { name: "api-duties", paths: ["api/", "duties/"] },
  {
    name: "domain",
    paths: ["network/", "chain/", "challenges/", "reports/", "validation/", "rewards/"],
  },
  {
    name: "foundation",
    paths: ["db/", "keys/", "metrics/", "faults/", "utils/", "config\\.ts$", "logger\\.ts$"],
  },
];

const layerPattern = (layer) => `${CHECKER}(${layer.paths.join("|")})`;

/** One rule per layer: nothing in it imports a layer above it. */
const checkerLayerRules = CHECKER_LAYERS.slice(1).map((layer, index) => ({
  name: `checker-layer-${layer.name}`,
  comment: `packages/checker/src: ${layer.name} must not import a layer above it (${CHECKER_LAYERS.slice(
    0,
    index + 1,
  )
    .map((above) => above.name)
    .join(", ")})`,
  severity: "error",
  from: { path: layerPattern(layer) },
  to: { path: CHECKER_LAYERS.slice(0, index + 1).map(layerPattern) },
}));

/** What each package's src may import of ours (besides itself). */
const PACKAGE_MAY_IMPORT = {
  protocol: [],
  runtime: ["protocol"],
  wire: ["protocol", "runtime"],
  contracts: ["protocol"],
  sim: ["protocol"],
  checker: ["protocol", "contracts", "wire", "runtime"],
  provider: ["protocol", "contracts", "wire", "runtime"],
};

const packageRules = Object.entries(PACKAGE_MAY_IMPORT).map(([pkg, allowed]) => ({
  name: `package-${pkg}-imports-downward`,
  comment: `packages/${pkg}/src may import only ${allowed.length === 0 ? "nothing of ours" : allowed.join(", ")}`,
  severity: "error",
  from: { path: `^packages/${pkg}/src/` },
  to: { path: "^packages/[^/]+/src/", pathNot: [`^packages/(${[pkg, ...allowed].join("|")})/src/`] },
}));

module.exports = {
  forbidden: [
    ...packageRules,
    ...checkerLayerRules,
    {
      name: "no-circular",
      comment: "packages/*/src: no import cycles",
      severity: "error",
      from: { path: SRC },
      to: { circular: true },
    },
    {
      name: "no-unresolvable",
      comment:
        "an import that does not resolve: a typo, a missing dependency, or a deep import of a path that the package's exports do not name",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "no-relative-cross-package",
      comment:
        "another package is imported by its name and public exports, not by a relative path into its files (tests may share another package's test/helpers and test/utils)",
      severity: "error",
      from: { path: "^packages/([^/]+)/" },
      to: {
        dependencyTypes: ["local"],
        path: "^packages/",
        pathNot: ["^packages/$1/", "^packages/[^/]+/test/(helpers|utils)/"],
      },
    },
    {
      name: "no-src-to-tests",
      comment: "source never imports test code",
      severity: "error",
      from: { path: SRC },
      to: { path: ["^packages/[^/]+/test/", "^test/"] },
    },
    {
      name: "no-undeclared-dependency",
      comment:
        "a package's shipped code (src, bin) imports only what its own package.json lists; tests may use the root devDependencies",
      severity: "error",
      from: { path: "^packages/[^/]+/(src|bin)/" },
      to: { dependencyTypes: ["npm-no-pkg", "npm-unknown"] },
    },
    {
      name: "no-dev-dependency-in-src",
      comment: "a package's shipped code does not import its devDependencies",
      severity: "error",
      from: { path: "^packages/[^/]+/(src|bin)/" },
      to: { dependencyTypes: ["npm-dev"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["/artifacts/", "/cache/", "packages/contracts/src/generated/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    combinedDependencies: false,
    enhancedResolveOptions: {
      // Resolve workspace packages through their `exports`, as Node does.
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json", ".d.ts"],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
    cache: false,
  },
};
