// validate.mjs FILE: validates an OpenAPI document with
// @seriousme/openapi-schema-validator (the official OpenAPI JSON schemas,
// and every $ref resolved), then compiles each schema of the document
// with Ajv's JSON Schema 2020-12 (OpenAPI 3.1's dialect) in strict mode,
// so an unknown keyword or a bad value in one is an error too.
// Exit 0: valid; 1: not, with the errors on stdout.
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import { argv, exit } from "node:process";

const file = argv[2];
if (!file) {
    console.log("usage: validate.mjs FILE");
    exit(2);
}

const validator = new Validator();
const res = await validator.validate(file);
if (!res.valid) {
    console.log(JSON.stringify(res.errors, null, 2));
    exit(1);
}
if (validator.version !== "3.1") {
    console.log(`not OpenAPI 3.1 but ${validator.version}`);
    exit(1);
}

const doc = validator.specification;
const ajv = new Ajv2020({ strict: true, allErrors: true,
                          validateFormats: false });
ajv.addVocabulary(["example", "discriminator", "xml", "externalDocs"]);
ajv.addFormat("phone", true);
ajv.addKeyword({ keyword: "components" });   // the holder below
ajv.addSchema({ $id: "doc", components: doc.components }, "doc");

let bad = 0;
function check(where, schema) {
    // a $ref to the components is made absolute against the document
    const s = JSON.parse(JSON.stringify(schema).replaceAll(
        '"#/components/', '"doc#/components/'));
    try {
        ajv.compile(s);
    } catch (e) {
        console.log(`${where}: ${e.message}`);
        bad++;
    }
}

for (const [name, s] of Object.entries(doc.components?.schemas ?? {})) {
    check(`components/schemas/${name}`, s);
}
function walk(where, o) {
    if (o === null || typeof o !== "object") {
        return;
    }
    if (o.schema !== undefined && typeof o.schema === "object"
        && !where.endsWith("/components/schemas")) {
        check(`${where}/schema`, o.schema);
    }
    for (const [k, v] of Object.entries(o)) {
        if (k !== "schema") {
            walk(`${where}/${k}`, v);
        }
    }
}
walk("#/paths", doc.paths);
walk("#/components/responses", doc.components?.responses);

if (bad > 0) {
    exit(1);
}
console.log(`valid OpenAPI ${validator.specificationVersion}`);
