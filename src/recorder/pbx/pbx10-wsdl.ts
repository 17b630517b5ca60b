/**
 * The PBX's WSDL as the recorder ships it: wsdl/pbx10_00.wsdl at the top of
 * this package, in the shape of innovaphone's pbx10_00.wsdl (namespace
 * http://innovaphone.com/pbx, rpc binding with SOAP-encoded bodies, arrays as
 * SOAP-ENC:Array restrictions with `item` elements; Version, Echo, Initialize,
 * End, Poll, Calls, UserInitialize, UserEnd, FindUser). The vendor advises
 * applications to carry a local copy rather than fetch it from the PBX: the
 * recorder's SOAP link builds its client from it and only sets the endpoint,
 * so one WSDL serves `/PBX0/user.soap` and dynamic PBXs `/PBX-<id>/user.soap`
 * alike; the embedded PBX serves the same text at `/pbx10_00.wsdl`.
 *
 * Kept as a WSDL file rather than a string in the code so that it is the
 * document clients and people read; `SOAP_BASE_PLACEHOLDER` in it is
 * replaced with the listening URL when served. The SOAP-ENC schema it
 * imports (wsdl/soap-encoding.xsd, a minimal one of our own) is served by the
 * PBX itself, so clients that resolve imports (zeep, node-soap) never reach
 * for schemas.xmlsoap.org.
 */
import { readFileSync } from 'node:fs';
import { packageFile } from '../../platform/util/index.js';

/** Stands for `http://<host>:<port>/PBX0` in the shipped texts; replaced when served. */
const SOAP_BASE_PLACEHOLDER = 'http://embedded-pbx.invalid/PBX0';
/** The WSDL version number the Version operation reports (pbx10_00). */
export const WSDL_VERSION = 1000;

const shipped = new Map<string, string>();

function shippedText(name: string): string {
  let text = shipped.get(name);
  if (text === undefined) {
    text = readFileSync(packageFile(`wsdl/${name}`, 'the PBX WSDL'), 'utf8');
    shipped.set(name, text);
  }
  return text;
}

/** The shipped WSDL, its service address still the placeholder. */
export function pbxWsdlTemplate(): string {
  return shippedText('pbx10_00.wsdl');
}

/** The SOAP-ENC schema the WSDL imports. */
export function soapEncodingXsd(): string {
  return shippedText('soap-encoding.xsd');
}

/** The WSDL with its service address set to `endpointBase`; `forClient`: without the SOAP-ENC schema import (nothing fetched). */
export function pbx10Wsdl(endpointBase: string, options: { forClient?: boolean } = {}): string {
  const text = pbxWsdlTemplate().replaceAll(SOAP_BASE_PLACEHOLDER, endpointBase);
  return options.forClient ? withoutSchemaImport(text) : text;
}

/** The WSDL without its SOAP-ENC schema import, for clients that must not fetch anything. */
export function withoutSchemaImport(wsdl: string): string {
  return wsdl.replace(/<xsd:import [^>]*\/>/, '');
}
