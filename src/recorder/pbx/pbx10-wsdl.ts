/**
 * The PBX's WSDL as the recorder ships it, in the shape of innovaphone's
 * pbx10_00.wsdl (the vendor advises applications to carry a local copy rather
 * than fetch it from the PBX): the recorder's SOAP link builds its client from
 * this text and only sets the endpoint, so one WSDL serves `/PBX0/user.soap`
 * and dynamic PBXs `/PBX-<id>/user.soap` alike; the embedded PBX serves the
 * same text at `/pbx10_00.wsdl`.
 *
 * namespace http://innovaphone.com/pbx, binding style rpc with SOAP-encoded
 * bodies (as the real PBX), arrays as SOAP-ENC:Array restrictions with
 * `item` elements, the same type, message, part and operation names. Only
 * the operations a monitoring client needs are described (Version, Echo,
 * Initialize, End, Poll, Calls, UserInitialize, UserEnd, FindUser); the call
 * control operations (UserCall, UserClear, …) are left out because the
 * simulator plays scripted calls and cannot be driven.
 *
 * Kept as a TypeScript string so it travels into dist/ with the code.
 * `SOAP_BASE_PLACEHOLDER` is replaced with the listening URL when served.
 *
 * The SOAP-ENC schema is imported from the service itself
 * (`/PBX0/soap-encoding.xsd`, a minimal schema of our own with just what the
 * WSDL references) so that clients which resolve imports (zeep, node-soap)
 * never reach for schemas.xmlsoap.org.
 */

export const SOAP_NAMESPACE = 'http://innovaphone.com/pbx';
/** Stands for `http://<host>:<port>/PBX0` in the served texts; replaced when served. */
export const SOAP_BASE_PLACEHOLDER = 'http://embedded-pbx.invalid/PBX0';

/** The WSDL version number the Version operation reports (pbx10_00). */
export const WSDL_VERSION = 1000;

export const SOAP_ENCODING_NAMESPACE = 'http://schemas.xmlsoap.org/soap/encoding/';

/**
 * The part of the SOAP 1.1 encoding schema the WSDL uses: the Array type and
 * the arrayType attribute. Array takes its attributes as anyAttribute, not by
 * ref: a ref to its own namespace makes zeep try to fetch the schema again.
 */
export const SOAP_ENCODING_XSD = `<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema targetNamespace="${SOAP_ENCODING_NAMESPACE}"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <xsd:attribute name="arrayType" type="xsd:string"/>
  <xsd:attribute name="offset" type="xsd:string"/>
  <xsd:complexType name="Array">
    <xsd:sequence>
      <xsd:any namespace="##any" minOccurs="0" maxOccurs="unbounded" processContents="lax"/>
    </xsd:sequence>
    <xsd:anyAttribute namespace="##any" processContents="lax"/>
  </xsd:complexType>
</xsd:schema>
`;

const encodedBody = `<soap:body use="encoded" namespace="${SOAP_NAMESPACE}" encodingStyle="${SOAP_ENCODING_NAMESPACE}"/>`;

function bindingOperation(name: string): string {
  return `
    <operation name="${name}">
      <soap:operation soapAction="${SOAP_NAMESPACE}#${name}"/>
      <input>${encodedBody}</input>
      <output>${encodedBody}</output>
    </operation>`;
}

function portOperation(name: string, doc: string): string {
  return `
    <operation name="${name}">
      <documentation>${doc}</documentation>
      <input message="inno:${name}Request"/>
      <output message="inno:${name}Response"/>
    </operation>`;
}

function arrayType(name: string, itemType: string): string {
  return `
      <xsd:complexType name="${name}">
        <xsd:complexContent>
          <xsd:restriction base="SOAP-ENC:Array">
            <xsd:sequence>
              <xsd:element name="item" type="inno:${itemType}" minOccurs="0" maxOccurs="unbounded"/>
            </xsd:sequence>
            <xsd:attribute ref="SOAP-ENC:arrayType" wsdl:arrayType="inno:${itemType}[]"/>
          </xsd:restriction>
        </xsd:complexContent>
      </xsd:complexType>`;
}

const operations: ReadonlyArray<readonly [string, string]> = [
  ['Version', 'Version information of the PBX'],
  ['Echo', 'Checks that a session and its key are valid'],
  ['Initialize', 'Opens a session (returns the session id and its key)'],
  ['End', 'Closes a session'],
  ['Poll', 'Waits for news of the session (long poll) and returns it'],
  ['Calls', 'The current calls of a user'],
  ['UserInitialize', 'Starts monitoring a user object in a session (returns the user handle)'],
  ['UserEnd', 'Stops monitoring a user'],
  ['FindUser', 'Looks up user objects by cn, h323 or e164'],
];

export const PBX_WSDL = `<?xml version="1.0" encoding="UTF-8"?>
<definitions name="pbx" targetNamespace="${SOAP_NAMESPACE}"
    xmlns="http://schemas.xmlsoap.org/wsdl/"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:SOAP-ENC="${SOAP_ENCODING_NAMESPACE}"
    xmlns:inno="${SOAP_NAMESPACE}">
  <documentation>Embedded innovaphone-style PBX, WSDL shape of pbx10_00 (version ${WSDL_VERSION})</documentation>
  <types>
    <xsd:schema targetNamespace="${SOAP_NAMESPACE}">
      <xsd:import namespace="${SOAP_ENCODING_NAMESPACE}" schemaLocation="${SOAP_BASE_PLACEHOLDER}/soap-encoding.xsd"/>
      <xsd:complexType name="Info">
        <xsd:sequence>
          <xsd:element name="type" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="vali" type="xsd:int" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="vals" type="xsd:string" minOccurs="1" maxOccurs="1"/>
        </xsd:sequence>
      </xsd:complexType>${arrayType('InfoArray', 'Info')}
      <xsd:complexType name="No">
        <xsd:sequence>
          <xsd:element name="type" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="cn" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="dn" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="e164" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="h323" type="xsd:string" minOccurs="1" maxOccurs="1"/>
        </xsd:sequence>
      </xsd:complexType>${arrayType('NoArray', 'No')}
      <xsd:complexType name="Group">
        <xsd:sequence>
          <xsd:element name="group" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="active" type="xsd:boolean" minOccurs="1" maxOccurs="1"/>
        </xsd:sequence>
      </xsd:complexType>${arrayType('GroupArray', 'Group')}
      <xsd:complexType name="CallInfo">
        <xsd:sequence>
          <xsd:element name="user" type="xsd:int" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="call" type="xsd:int" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="reg" type="xsd:int" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="active" type="xsd:boolean" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="state" type="xsd:int" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="No" type="inno:NoArray" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="msg" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="info" type="inno:InfoArray" minOccurs="1" maxOccurs="1"/>
        </xsd:sequence>
      </xsd:complexType>${arrayType('CallInfoArray', 'CallInfo')}
      <xsd:complexType name="UserInfo">
        <xsd:sequence>
          <xsd:element name="guid" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="active" type="xsd:boolean" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="state" type="xsd:int" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="channel" type="xsd:int" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="alert" type="xsd:int" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="cn" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="dn" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="type" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="e164" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="h323" type="xsd:string" minOccurs="1" maxOccurs="1"/>
          <xsd:element name="loc" type="xsd:string" minOccurs="0" maxOccurs="1"/>
          <xsd:element name="node" type="xsd:string" minOccurs="0" maxOccurs="1"/>
          <xsd:element name="object" type="xsd:string" minOccurs="0" maxOccurs="1"/>
          <xsd:element name="cfg" type="xsd:boolean" minOccurs="0" maxOccurs="1"/>
          <xsd:element name="groups" type="inno:GroupArray" minOccurs="0" maxOccurs="1"/>
          <xsd:element name="info" type="inno:InfoArray" minOccurs="0" maxOccurs="1"/>
        </xsd:sequence>
      </xsd:complexType>${arrayType('UserInfoArray', 'UserInfo')}
      <xsd:complexType name="AnyInfo">
        <xsd:sequence>
          <xsd:element name="user" type="inno:UserInfoArray" minOccurs="0" maxOccurs="1"/>
          <xsd:element name="call" type="inno:CallInfoArray" minOccurs="0" maxOccurs="1"/>
          <xsd:element name="info" type="inno:InfoArray" minOccurs="0" maxOccurs="1"/>
        </xsd:sequence>
      </xsd:complexType>
    </xsd:schema>
  </types>

  <message name="VersionRequest"/>
  <message name="VersionResponse">
    <part name="WSDLVersion" type="xsd:int"/>
    <part name="GatekeeperID" type="xsd:string"/>
    <part name="Location" type="xsd:string"/>
    <part name="FirmwareVersion" type="xsd:string"/>
    <part name="SerialNumber" type="xsd:string"/>
  </message>
  <message name="EchoRequest">
    <part name="session" type="xsd:int"/>
    <part name="key" type="xsd:int"/>
  </message>
  <message name="EchoResponse">
    <part name="return" type="xsd:int"/>
  </message>
  <message name="InitializeRequest">
    <part name="user" type="xsd:string"/>
    <part name="appl" type="xsd:string"/>
    <part name="v" type="xsd:boolean"/>
    <part name="v501" type="xsd:boolean"/>
    <part name="v700" type="xsd:boolean"/>
    <part name="v800" type="xsd:boolean"/>
    <part name="vx1000" type="xsd:boolean"/>
  </message>
  <message name="InitializeResponse">
    <part name="return" type="xsd:int"/>
    <part name="key" type="xsd:int"/>
  </message>
  <message name="EndRequest">
    <part name="session" type="xsd:int"/>
  </message>
  <message name="EndResponse"/>
  <message name="PollRequest">
    <part name="session" type="xsd:int"/>
  </message>
  <message name="PollResponse">
    <part name="return" type="inno:AnyInfo"/>
  </message>
  <message name="CallsRequest">
    <part name="session" type="xsd:int"/>
    <part name="user" type="xsd:string"/>
  </message>
  <message name="CallsResponse">
    <part name="return" type="inno:CallInfoArray"/>
  </message>
  <message name="UserInitializeRequest">
    <part name="session" type="xsd:int"/>
    <part name="user" type="xsd:string"/>
    <part name="xfer" type="xsd:boolean"/>
    <part name="disc" type="xsd:boolean"/>
    <part name="hw" type="xsd:string"/>
  </message>
  <message name="UserInitializeResponse">
    <part name="return" type="xsd:int"/>
  </message>
  <message name="UserEndRequest">
    <part name="user" type="xsd:int"/>
  </message>
  <message name="UserEndResponse"/>
  <message name="FindUserRequest">
    <part name="v501" type="xsd:string"/>
    <part name="v700" type="xsd:string"/>
    <part name="v800" type="xsd:string"/>
    <part name="vx1000" type="xsd:string"/>
    <part name="cn" type="xsd:string"/>
    <part name="h323" type="xsd:string"/>
    <part name="e164" type="xsd:string"/>
    <part name="count" type="xsd:int"/>
    <part name="next" type="xsd:int"/>
  </message>
  <message name="FindUserResponse">
    <part name="return" type="inno:UserInfoArray"/>
  </message>

  <portType name="pbxPortType">${operations.map(([name, doc]) => portOperation(name, doc)).join('')}
  </portType>

  <binding name="pbxBinding" type="inno:pbxPortType">
    <soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>${operations.map(([name]) => bindingOperation(name)).join('')}
  </binding>

  <service name="pbx">
    <port name="pbxPort" binding="inno:pbxBinding">
      <soap:address location="${SOAP_BASE_PLACEHOLDER}/user.soap"/>
    </port>
  </service>
</definitions>
`;

/** The WSDL with its service address set to `endpoint`; `forClient`: without the SOAP-ENC schema import (nothing fetched). */
export function pbx10Wsdl(endpointBase: string, options: { forClient?: boolean } = {}): string {
  const text = PBX_WSDL.replaceAll(SOAP_BASE_PLACEHOLDER, endpointBase);
  return options.forClient ? text.replace(/<xsd:import [^>]*\/>/, '') : text;
}
