// A Glacier vault in memory for the adapter's tests: records each command it is sent.

export interface Call { name: string; input: Record<string, unknown> }

/** A vault in memory that records each command; a job completes after `jobPolls` DescribeJob calls. */
export class FakeGlacier {
  readonly calls: Call[] = [];
  readonly archives = new Map<string, Buffer>();
  readonly #uploads = new Map<string, Buffer[]>();
  readonly #jobs = new Map<string, { archiveId: string; polls: number }>();
  jobPolls = 2;
  failPart: number | undefined;
  corruptOutput = false;
  #n = 0;

  async send(command: object): Promise<unknown> {
    const name = command.constructor.name.replace(/Command$/, '');
    const input = (command as { input: Record<string, unknown> }).input;
    this.calls.push({ name, input });
    switch (name) {
      case 'UploadArchive': {
        const id = `archive-${++this.#n}`;
        this.archives.set(id, Buffer.from(input.body as Buffer));
        return { archiveId: id, checksum: input.checksum };
      }
      case 'InitiateMultipartUpload': {
        const id = `upload-${++this.#n}`;
        this.#uploads.set(id, []);
        return { uploadId: id };
      }
      case 'UploadMultipartPart': {
        if (this.failPart !== undefined && this.calls.filter((c) => c.name === 'UploadMultipartPart').length === this.failPart) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
        this.#uploads.get(input.uploadId as string)!.push(Buffer.from(input.body as Buffer));
        return { checksum: input.checksum };
      }
      case 'CompleteMultipartUpload': {
        const id = `archive-${++this.#n}`;
        this.archives.set(id, Buffer.concat(this.#uploads.get(input.uploadId as string)!));
        return { archiveId: id, checksum: input.checksum };
      }
      case 'AbortMultipartUpload':
        this.#uploads.delete(input.uploadId as string);
        return {};
      case 'InitiateJob': {
        const id = `job-${++this.#n}`;
        this.#jobs.set(id, { archiveId: (input.jobParameters as { ArchiveId: string }).ArchiveId, polls: 0 });
        return { jobId: id };
      }
      case 'DescribeJob': {
        const j = this.#jobs.get(input.jobId as string)!;
        j.polls++;
        const done = j.polls > this.jobPolls;
        return { Completed: done, StatusCode: done ? 'Succeeded' : 'InProgress' };
      }
      case 'GetJobOutput': {
        const data = Buffer.from(this.archives.get(this.#jobs.get(input.jobId as string)!.archiveId)!);
        if (this.corruptOutput) data[0] = data[0]! ^ 0xff;
        return { body: (async function* () { yield data; })() };
      }
      case 'DeleteArchive':
        this.archives.delete(input.archiveId as string);
        return {};
      default:
        throw new Error(`unexpected ${name}`);
    }
  }
}

