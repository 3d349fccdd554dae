// A media type as RFC 9110 writes it (type/subtype; name=value…), in the subset the `content-type`
// package that Express uses to add a charset can parse: a bin's answer goes through it, so a value
// it cannot parse (a control character, a dangling ";") used to make every capture answer 500.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[ \\x21\\x23-\\x5b\\x5d-\\x7e]|\\\\[\\x20-\\x7e])*"';
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN} *(?:; *${TOKEN} *= *(?:${TOKEN}|${QUOTED}) *)*$`);

export function isMediaType(value: string): boolean {
  return value.length <= 200 && MEDIA_TYPE.test(value);
}
