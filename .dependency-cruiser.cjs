/**
 * Import rules (README "Where things are"): engines <- components <- stacks <- cli (cli may use
 * engines), nothing outside test/ imports test/, no cycles (type-only imports count too).
 * scripts/test.sh runs it (`npx depcruise --output-type err engines components stacks cli bin scripts test`);
 * a violation fails the test command.
 */
module.exports = {
    forbidden: [
        { name: "no-circular", severity: "error", comment: "an import cycle (type-only imports count)", from: {}, to: { circular: true } },
        { name: "not-to-test", severity: "error", comment: "production code never imports test/", from: { pathNot: "^test/" }, to: { path: "^test/" } },
        { name: "engines-import-nothing-above", severity: "error", comment: "engines/ knows only its engine: no components, stacks or cli", from: { path: "^engines/" }, to: { path: "^(components|stacks|cli)/" } },
        { name: "components-not-up", severity: "error", comment: "components/ import engines/ only, never stacks or cli", from: { path: "^components/" }, to: { path: "^(stacks|cli)/" } },
        { name: "stacks-not-cli", severity: "error", comment: "stacks/ never import cli/", from: { path: "^stacks/" }, to: { path: "^cli/" } },
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        exclude: { path: "^(node_modules|dist|policy/node_modules)" },
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
    },
};
