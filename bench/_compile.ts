/**
 * A benchmark's entry module compiled with a checkout's own tsc, as the package ships (`dist/` is
 * tsc's output): the benchmarks run compiled code, not tsx's, whose `keepNames` wrapper costs every
 * closure the guard makes a property write.
 */
import { execFileSync } from "node:child_process"
import { join } from "node:path"

/** Compiles `entry` (a path under `checkout`) and what it imports into `out`, keeping the tree. */
export const compile = (checkout: string, entry: string, out: string): void => {
  execFileSync(process.execPath, [
    join(checkout, "node_modules/typescript/bin/tsc"),
    join(checkout, entry),
    ...["--outDir", out, "--rootDir", checkout, "--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext"],
    ...["--types", "node", "--skipLibCheck", "--esModuleInterop", "--resolveJsonModule", "--strict"]
  ], { stdio: "inherit" })
}
