import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Length of every password the stack generates. */
export const GENERATED_PASSWORD_LENGTH = 32;
/**
 * The only punctuation in generated passwords: URL-unreserved (RFC 3986), so nothing to encode in
 * connection strings, nothing to quote in YAML, a shell or a provider's SQL, and accepted by RDS.
 * 32 characters drawn from 66 symbols still carry about 193 bits.
 */
export const GENERATED_PASSWORD_SPECIALS = "-_.~";

/** A password generated once and kept in state (secret), for a database role or user. */
export function generatedPassword(name: string, parent: pulumi.Resource): pulumi.Output<string> {
    return new random.RandomPassword(name, {
        length: GENERATED_PASSWORD_LENGTH,
        special: true,
        overrideSpecial: GENERATED_PASSWORD_SPECIALS,
        minLower: 1, minUpper: 1, minNumeric: 1,
    }, { parent }).result;
}
