export { AdmissionController } from './admission.controller';
export { AdmissionService, ADMISSION_POLICY } from './admission.service';
export { parseImageRef } from './image-ref';
export { AdmissionPolicyError, parseAdmissionPolicy, readAdmissionPolicyFile, type AdmissionPolicy } from './policy';
export { admissionResponse, ADMITTED_KINDS, MalformedReviewError, parseAdmissionReview, podImages } from './review';
export { AdmissionDecisionConnection, AdmissionDecisionFilter, AdmissionDecisionRecord } from './decisions.model';
export { AdmissionDecisionsResolver } from './decisions.resolver';
export { AdmissionDecisionsService, decodeDecisionCursor, encodeDecisionCursor } from './decisions.service';
