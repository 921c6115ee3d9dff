"""edXML messages and the VXP HTTP API (national document exchange axis).

- `model`, `codes`: what a message says, as frozen dataclasses and code lists.
- `edxml_parse` / `edxml_build`: read real traffic leniently, write the VNPT library's shape;
  `xmlsafe` and `attachments` keep untrusted input bounded; `schema` holds our XSD.
- `messages`, `phuluc`: revocation/update/replacement/status messages and NĐ 30 Phụ lục VI fields.
- `headers`, `javamap`, `client`: the signed VXP API, byte-compatible with the official client.
- `hub`: the local axis (`eoffice vxp-hub`); `cli`: the click commands.
"""
