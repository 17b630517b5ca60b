export { CALL_STATE, PbxSoapService, RECORDING_GROUP_NAME, SOAP_PATH, WSDL_PATH } from './service.js';
export type { PbxSoapServiceOptions, SoapCallInfo, SoapInfo, SoapNo, SoapUserInfo } from './service.js';
export { PBX_WSDL, SOAP_ENCODING_XSD, SOAP_NAMESPACE, WSDL_VERSION } from '../../recorder/pbx/index.js';
