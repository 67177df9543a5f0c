/** MySQL (and MariaDB): what the rest of astro-db reaches through ENGINES (engines/index.ts). */
import { translators } from "./resources";

export { translators };
