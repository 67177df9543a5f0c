// Preloaded into every process `npm run bench` measures (node -r): at exit, writes the process's own
// CPU time and peak memory (process.resourceUsage) to $ASTRO_DB_BENCH_RUSAGE as JSON.
"use strict";
const file = process.env.ASTRO_DB_BENCH_RUSAGE;
if (file) {
    process.on("exit", () => {
        const u = process.resourceUsage();
        require("fs").writeFileSync(file, JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssKb: u.maxRSS }));
    });
}
