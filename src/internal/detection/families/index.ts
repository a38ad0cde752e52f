/**
 * Every rule family the engine runs, in the order it runs them.
 *
 * @internal
 */
import { family as code } from "./code/index.js"
import type { DetectionFamily } from "./contract.js"
import { family as files } from "./files/index.js"
import { family as html } from "./html/index.js"
import { family as ldap } from "./ldap/index.js"
import { family as orm } from "./orm/index.js"
import { family as protocol } from "./protocol/index.js"
import { family as shell } from "./shell/index.js"
import { family as sql } from "./sql/index.js"
import { family as traversal } from "./traversal/index.js"

export const FAMILIES: ReadonlyArray<DetectionFamily> = [
  traversal,
  files,
  protocol,
  ldap,
  orm,
  shell,
  code,
  sql,
  html
]
