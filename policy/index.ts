/**
 * The astro-db policy pack: `pulumi preview --policy-pack policy` (run `npm ci` in policy/ first).
 * The same rules run offline in `astro-db plan --policy`.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("astro-db", { policies });
