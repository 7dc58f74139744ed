// Bacula blocks built from the documented layouts: the volume label and the
// session labels are found among the records and parsed field by field.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseSessionLabel, parseVolumeLabel, scanBaculaBlock } from '../../src/points/bacula-label.ts';
import { recognizeFileStart } from '../../src/points/recognize.ts';
import { baculaBlock, sessionLabel, Ser, volumeLabel } from './formats.ts';

const labelled = new Date('2026-12-06T10:00:00.000Z');
const start = new Date('2026-12-06T10:05:00.123Z');

test('a BB02 label block: the volume label names the volume, pool and label time', (t) => {
  const b = scanBaculaBlock(baculaBlock([volumeLabel({ volume: 'Vol-0001', pool: 'Default', labelled })], { number: 1, session: 7 }));
  t.like(b, { id: 'BB02', blockNumber: 1, volSessionId: 7 });
  t.is(b?.labels.length, 1);
  t.deepEqual(parseVolumeLabel(b!.labels[0]!), {
    type: 'VOL_LABEL', id: 'Bacula 1.0 immortal', version: 11, labelTime: labelled.toISOString(),
    volumeName: 'Vol-0001', prevVolumeName: '', poolName: 'Default', poolType: 'Backup', mediaType: 'LTO-6', hostName: 'sd.example',
  });
});

test('a PRE_LABEL (a volume labelled but never written) is a volume label too', (t) => {
  const b = scanBaculaBlock(baculaBlock([volumeLabel({ type: -1, volume: 'Vol-0002', pool: 'Scratch', labelled })]));
  t.like(parseVolumeLabel(b!.labels[0]!), { type: 'PRE_LABEL', volumeName: 'Vol-0002', poolName: 'Scratch' });
});

test('session labels among data records: SOS gives the job, EOS its totals and status', (t) => {
  const data = { fileIndex: 1, stream: 1, data: Buffer.alloc(300, 7) };
  const sos = sessionLabel({ jobId: 42, jobName: 'BackupClient1', client: 'client1-fd', level: 'I', start });
  const eos = sessionLabel({ jobId: 41, jobName: 'BackupCatalog', client: 'dir-fd', level: 'F', start, end: { files: 12, bytes: 123456789n, status: 'T' } });
  const b = scanBaculaBlock(baculaBlock([eos, data, sos, data]));
  t.deepEqual(b?.labels.map((r) => r.fileIndex), [-5, -4], 'only label records are kept, in order');
  t.deepEqual(parseSessionLabel(b!.labels[1]!), {
    type: 'SOS', version: 11, jobId: 42, time: start.toISOString(), poolName: 'Default', poolType: 'Backup',
    jobName: 'BackupClient1', clientName: 'client1-fd', job: 'BackupClient1.2026-12-06_10.00.00_042', fileSetName: 'Full Set', jobType: 'B', jobLevel: 'I',
  });
  t.like(parseSessionLabel(b!.labels[0]!), { type: 'EOS', jobId: 41, jobFiles: 12, jobBytes: 123456789, jobStatus: 'T', jobLevel: 'F' });
});

test('a continuation record (negative stream) is not taken for a label', (t) => {
  const b = scanBaculaBlock(baculaBlock([{ fileIndex: -4, stream: -42, data: Buffer.alloc(40) }]));
  t.deepEqual(b?.labels, []);
});

test('BB03 with the xxhash64 option: records start after the 32-byte header', (t) => {
  const block = baculaBlock([]);
  const sos = sessionLabel({ jobId: 5, jobName: 'J', client: 'c', level: 'F', start });
  const rec = Buffer.concat([new Ser().i32(sos.fileIndex).i32(sos.stream).u32(sos.data.length).bytes(), sos.data]);
  block.write('BB03', 12, 'latin1');
  block.writeUInt32BE(1, 0);
  block.writeUInt32BE(32 + rec.length, 4);
  rec.copy(block, 32);
  t.like(parseSessionLabel(scanBaculaBlock(block)!.labels[0]!), { jobId: 5, jobName: 'J' });
});

test('recognizeFileStart: a label block is a bacula label point, a data block a bacula data point', (t) => {
  const r = recognizeFileStart(baculaBlock([volumeLabel({ volume: 'Vol-0001', pool: 'Default', labelled })]), 64512);
  t.like(r.points[0], { app: 'bacula', kind: 'label', label: 'Vol-0001', date: labelled.toISOString() });
  const d = recognizeFileStart(baculaBlock([{ fileIndex: 3, stream: 2, data: Buffer.alloc(10) }], { session: 9 }), 64512);
  t.like(d.points[0], { app: 'bacula', kind: 'data', detail: { volSessionId: 9 } });
});

test('a real label block: btape 9.6.7 "label" (its 210 bytes, padded to the 64,512-byte block as written)', (t) => {
  // Captured from Debian bacula-sd 9.6.7 btape (an ioctl shim made a file look like a tape); PRE_LABEL, VerNum 11.
  const bytes = readFileSync(new URL('../vectors/points/bacula-9.6.7-prelabel.bin', import.meta.url));
  const block = Buffer.concat([bytes, Buffer.alloc(64512 - bytes.length)]);
  const b = scanBaculaBlock(block);
  t.like(b, { id: 'BB02', blockNumber: 0, volSessionId: 1 });
  t.like(parseVolumeLabel(b!.labels[0]!), {
    type: 'PRE_LABEL', version: 11, volumeName: 'TestVol1', poolName: 'Default', poolType: 'Backup', mediaType: 'File', hostName: 'vm',
  });
  const r = recognizeFileStart(block, block.length);
  t.deepEqual(r.points.map((p) => [p.app, p.kind, p.label]), [['bacula', 'label', 'TestVol1']]);
  t.regex(r.points[0]!.date ?? '', /^20\d\d-\d\d-\d\dT/);
});

test('a real volume label and session start: btape 9.6.7 "fill" (VOL_LABEL block, then the SOS label opening the next block)', (t) => {
  // The label block whole (213 bytes), and the first 180 bytes of the next block: its header and the SOS record.
  const label = readFileSync(new URL('../vectors/points/bacula-9.6.7-vol-label.bin', import.meta.url));
  const next = readFileSync(new URL('../vectors/points/bacula-9.6.7-sos-block-head.bin', import.meta.url));
  const first = recognizeFileStart(label, 64512);
  t.like(first.points[0], { app: 'bacula', kind: 'label', label: 'TestVolume1', detail: { record: 'VOL_LABEL', pool: 'Default', poolType: 'Backup', mediaType: 'File' } });
  const b = scanBaculaBlock(next);
  t.like(b, { id: 'BB02', blockNumber: 1, volSessionId: 1 });
  const sos = parseSessionLabel(b!.labels[0]!);
  t.like(sos, {
    type: 'SOS', version: 11, jobId: 0, jobName: 'Dummy.Job.Name', clientName: 'Dummy.Client.Name', job: 'btape',
    fileSetName: 'Dummy.fileset.name', jobLevel: 'F', poolName: 'Default',
  });
  t.regex(sos?.time ?? '', /^20\d\d-\d\d-\d\dT/);
});
