"""S3 object bodies over the wire on the real clock, where large bodies are read and hashed on the
body I/O pool: small bodies (kept in their row) and large ones (spooled, then renamed into place)
byte for byte, size refusals decided from the request head, the bucket checked before any body
work, and SIGPIPE ignored by the server process."""
import hashlib
import os
import shutil
import tempfile
import unittest
import xml.etree.ElementTree as ET

from s3_support import CardsimProcess, client  # also puts tests/integration on sys.path
from cardsim_process import raw_exchange  # noqa: E402

MiB = 1024 * 1024


def files_under(path):
    return [os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs]


class S3BodiesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="cardsim-s3-bodies-")
        cls.proc = CardsimProcess(data_dir=cls.data_dir).start()
        cls.s3 = client(cls.proc)
        cls.port = cls.proc.ports["aws"]
        cls.s3.create_bucket(Bucket="bodies")

    @classmethod
    def tearDownClass(cls):
        cls.proc.__exit__(None, None, None)
        shutil.rmtree(cls.data_dir, ignore_errors=True)

    def exchange(self, head, body=b""):
        """Sends a raw request (the head gets Connection: close); returns (status, headers, body)."""
        data = raw_exchange(self.port, head.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n").encode() + body,
                            timeout=10)
        head_bytes, _, rest = data.partition(b"\r\n\r\n")
        lines = head_bytes.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        return int(lines[0].split()[1]), headers, rest

    def test_small_and_large_bodies_round_trip_byte_for_byte(self):
        for size in [0, 1, 64 * 1024, 64 * 1024 + 1, 3 * MiB + 7]:
            data = os.urandom(size)
            put = self.s3.put_object(Bucket="bodies", Key="obj-%d" % size, Body=data)
            self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(data).hexdigest())
            got = self.s3.get_object(Bucket="bodies", Key="obj-%d" % size)
            self.assertEqual(got["Body"].read(), data, size)
            self.assertEqual(got["ContentLength"], size)
            head = self.s3.head_object(Bucket="bodies", Key="obj-%d" % size)
            self.assertEqual(head["ContentLength"], size)
            if size > 10:
                part = self.s3.get_object(Bucket="bodies", Key="obj-%d" % size, Range="bytes=3-9")["Body"].read()
                self.assertEqual(part, data[3:10])

    def test_a_spooled_body_is_moved_into_place_and_leaves_no_temporary_file(self):
        data = os.urandom(2 * MiB)
        status, headers, _ = self.exchange(
            "PUT /bodies/spooled HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(data), data)
        self.assertEqual(status, 200)
        self.assertEqual(headers["etag"], '"%s"' % hashlib.md5(data).hexdigest())
        self.assertEqual(self.s3.get_object(Bucket="bodies", Key="spooled")["Body"].read(), data)
        self.assertEqual(files_under(os.path.join(self.data_dir, "tmp")), [])
        self.assertEqual(files_under(os.path.join(self.data_dir, "s3", "tmp")), [])

    def test_entity_too_large_is_answered_from_content_length_before_the_body(self):
        too_big = 5 * 1024 ** 3 + 1
        # Expect: 100-continue: the refusal comes instead of the 100, before a byte of the body.
        status, headers, body = self.exchange(
            "PUT /bodies/huge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n"
            % too_big)
        self.assertEqual(status, 400)
        err = ET.fromstring(body)
        self.assertEqual(err.findtext("Code"), "EntityTooLarge")
        self.assertEqual(err.findtext("Resource"), "/bodies/huge")
        self.assertEqual(err.findtext("RequestId"), headers["x-amz-request-id"])
        # aws-chunked: the decoded length is what counts.
        status, _, body = self.exchange(
            "PUT /bodies/huge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Encoding: aws-chunked\r\n"
            "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\nx-amz-decoded-content-length: %d\r\n"
            "Content-Length: %d\r\n\r\n" % (too_big, too_big + 100))
        self.assertEqual((status, ET.fromstring(body).findtext("Code")), (400, "EntityTooLarge"))
        with self.assertRaises(self.s3.exceptions.NoSuchKey):
            self.s3.get_object(Bucket="bodies", Key="huge")

    def test_a_missing_bucket_is_reported_before_any_body_work(self):
        for size in [10, 2 * MiB]:
            status, _, body = self.exchange(
                "PUT /no-such-bucket-here/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % size,
                b"x" * size)
            self.assertEqual((status, ET.fromstring(body).findtext("Code")), (404, "NoSuchBucket"))
        # A body that cannot be decoded: had it been read first, that would be the answer.
        status, _, body = self.exchange(
            "PUT /no-such-bucket-here/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Encoding: aws-chunked\r\n"
            "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\nContent-Length: 9\r\n\r\n", b"not-chunk")
        self.assertEqual((status, ET.fromstring(body).findtext("Code")), (404, "NoSuchBucket"))
        self.assertEqual(files_under(os.path.join(self.data_dir, "s3", "tmp")), [])

    def test_multipart_parts_through_the_pool(self):
        parts = [os.urandom(5 * MiB), os.urandom(1234)]
        uid = self.s3.create_multipart_upload(Bucket="bodies", Key="mpu")["UploadId"]
        etags = [self.s3.upload_part(Bucket="bodies", Key="mpu", UploadId=uid, PartNumber=i + 1, Body=p)["ETag"]
                 for i, p in enumerate(parts)]
        self.s3.complete_multipart_upload(Bucket="bodies", Key="mpu", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]})
        self.assertEqual(self.s3.get_object(Bucket="bodies", Key="mpu")["Body"].read(), b"".join(parts))

    def test_upload_part_copy_through_the_pool(self):
        source = os.urandom(6 * MiB)
        self.s3.put_object(Bucket="bodies", Key="copy-source", Body=source)
        uid = self.s3.create_multipart_upload(Bucket="bodies", Key="copied")["UploadId"]
        first = self.s3.upload_part_copy(Bucket="bodies", Key="copied", UploadId=uid, PartNumber=1,
                                         CopySource={"Bucket": "bodies", "Key": "copy-source"},
                                         CopySourceRange="bytes=0-%d" % (5 * MiB - 1))["CopyPartResult"]["ETag"]
        second = self.s3.upload_part_copy(Bucket="bodies", Key="copied", UploadId=uid, PartNumber=2,
                                          CopySource={"Bucket": "bodies", "Key": "copy-source"},
                                          CopySourceRange="bytes=%d-%d" % (5 * MiB, 6 * MiB - 1))["CopyPartResult"]["ETag"]
        self.assertEqual(first, '"%s"' % hashlib.md5(source[:5 * MiB]).hexdigest())
        self.s3.complete_multipart_upload(Bucket="bodies", Key="copied", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": first}, {"PartNumber": 2, "ETag": second}]})
        self.assertEqual(self.s3.get_object(Bucket="bodies", Key="copied")["Body"].read(), source)

    def test_the_server_ignores_sigpipe(self):
        with open("/proc/%d/status" % self.proc.proc.pid) as f:
            ignored = int(next(line for line in f if line.startswith("SigIgn:")).split()[1], 16)
        self.assertTrue(ignored & (1 << (13 - 1)), "SIGPIPE (13) is not ignored")


if __name__ == "__main__":
    unittest.main()
