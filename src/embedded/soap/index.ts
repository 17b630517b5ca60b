export { CALL_STATE, PbxSoapService, RECORDING_GROUP_NAME, SOAP_PATH, WSDL_PATH } from './service.js';
export type { PbxSoapServiceOptions, SoapCallInfo, SoapInfo, SoapNo, SoapUserInfo } from './service.js';
