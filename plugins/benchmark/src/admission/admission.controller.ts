import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { HOST_BODY_READER, RequireRole, type HostBodyReader, type HostRequest } from '@bulkhead/plugin-sdk/api';
import { AdmissionService } from './admission.service';
import { admissionResponse, MalformedReviewError, parseAdmissionReview } from './review';

interface StatusResponse {
  status(code: number): unknown;
}

/**
 * `POST /admission/validate`: the ValidatingAdmissionWebhook endpoint. The API server
 * authenticates with a Bulkhead API token (role viewer, the team whose findings count) sent as
 * a bearer token from the webhook's kubeconfig; TLS is terminated in front of the API.
 */
@Controller('admission')
@RequireRole('viewer')
export class AdmissionController {
  constructor(
    @Inject(HOST_BODY_READER) private readonly bodies: HostBodyReader,
    private readonly admission: AdmissionService,
  ) {}

  @Post('validate')
  @HttpCode(200)
  async validate(@Req() request: HostRequest, @Res({ passthrough: true }) response: StatusResponse): Promise<Record<string, unknown>> {
    const body = await this.bodies.readAll(request);
    if (!Buffer.isBuffer(body)) {
      response.status(413);
      return { error: `AdmissionReview larger than ${body.limit} bytes (BULKHEAD_MAX_EVENT_BODY_BYTES)` };
    }
    let review;
    try {
      review = parseAdmissionReview(JSON.parse(body.toString('utf8')));
    } catch (error) {
      if (!(error instanceof MalformedReviewError) && !(error instanceof SyntaxError)) throw error;
      response.status(400);
      return { error: `malformed AdmissionReview: ${error instanceof SyntaxError ? `not JSON: ${error.message}` : error.message}` };
    }
    return admissionResponse(review.uid, await this.admission.decide(review));
  }
}
