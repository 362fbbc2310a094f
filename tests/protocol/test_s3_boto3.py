"""S3 protocol tests with boto3 against a real `cardsim serve` (every operation and error of issue 4)."""
import base64
import datetime
import hashlib
import http.client
import json
import os
import tempfile
import unittest
import urllib.parse
import zlib
import xml.etree.ElementTree as ET

from botocore.exceptions import ClientError

from s3_support import CardsimProcess, client, endpoint

MiB = 1024 * 1024
ODD_KEYS = ["with space.txt", "unicodé/日本語/ключ", "plus+sign", "percent%20literal", "a/b/c/d.txt",
            "trailing/", "tilde~and=equals&amp", "quote'and\"dq"]


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return base64.b64encode((crc ^ 0xFFFFFFFF).to_bytes(4, "big")).decode()


def error_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("expected an error")


class S3Boto3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        # Virtual clock at wall time: presigned URLs signed now are valid until the test moves time.
        cls.proc = CardsimProcess("--clock", "virtual", "--start-time", now).start()
        cls.s3 = client(cls.proc)
        cls.port = cls.proc.ports["aws"]

    @classmethod
    def tearDownClass(cls):
        cls.proc.__exit__(None, None, None)

    def bucket(self, name, versioned=False):
        self.s3.create_bucket(Bucket=name)
        if versioned:
            self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def raw(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    # --- buckets -------------------------------------------------------------------------------

    def test_bucket_lifecycle_and_errors(self):
        self.s3.create_bucket(Bucket="life-cycle")
        self.assertEqual(error_of(self.s3.create_bucket, Bucket="life-cycle"), ("BucketAlreadyOwnedByYou", 409))
        self.assertEqual(error_of(self.s3.create_bucket, Bucket="Bad_Name"), ("InvalidBucketName", 400))
        self.s3.head_bucket(Bucket="life-cycle")
        self.assertEqual(error_of(self.s3.head_bucket, Bucket="no-such-bucket-x"), ("404", 404))
        self.assertIn("life-cycle", [b["Name"] for b in self.s3.list_buckets()["Buckets"]])
        self.assertIsNone(self.s3.get_bucket_location(Bucket="life-cycle")["LocationConstraint"])
        self.s3.put_object(Bucket="life-cycle", Key="k", Body=b"x")
        self.assertEqual(error_of(self.s3.delete_bucket, Bucket="life-cycle"), ("BucketNotEmpty", 409))
        self.s3.delete_object(Bucket="life-cycle", Key="k")
        self.s3.delete_bucket(Bucket="life-cycle")
        self.assertEqual(error_of(self.s3.list_objects_v2, Bucket="life-cycle"), ("NoSuchBucket", 404))
        self.assertEqual(error_of(self.s3.put_object, Bucket="life-cycle", Key="k", Body=b"x"), ("NoSuchBucket", 404))

    def test_location_constraint(self):
        self.s3.create_bucket(Bucket="in-europe", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        self.assertEqual(self.s3.get_bucket_location(Bucket="in-europe")["LocationConstraint"], "eu-west-1")

    # --- objects -------------------------------------------------------------------------------

    def test_put_get_head_with_metadata_and_content_headers(self):
        b = self.bucket("objects")
        expires = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
        put = self.s3.put_object(Bucket=b, Key="doc.txt", Body=b"hello world", ContentType="text/plain",
                                 ContentDisposition='attachment; filename="doc.txt"', ContentEncoding="identity",
                                 CacheControl="max-age=60", Expires=expires, Metadata={"Owner": "ops", "x": "1"})
        self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(b"hello world").hexdigest())
        get = self.s3.get_object(Bucket=b, Key="doc.txt")
        self.assertEqual(get["Body"].read(), b"hello world")
        self.assertEqual(get["ContentType"], "text/plain")
        self.assertEqual(get["ContentDisposition"], 'attachment; filename="doc.txt"')
        self.assertEqual(get["ContentEncoding"], "identity")
        self.assertEqual(get["CacheControl"], "max-age=60")
        self.assertEqual(get["Expires"], expires)
        self.assertEqual(get["Metadata"], {"owner": "ops", "x": "1"})
        head = self.s3.head_object(Bucket=b, Key="doc.txt")
        self.assertEqual(head["ContentLength"], 11)
        self.assertEqual(head["ETag"], put["ETag"])
        self.assertEqual(error_of(self.s3.get_object, Bucket=b, Key="missing"), ("NoSuchKey", 404))
        self.assertEqual(error_of(self.s3.head_object, Bucket=b, Key="missing"), ("404", 404))

    def test_odd_keys_and_empty_objects(self):
        b = self.bucket("odd-keys")
        for i, key in enumerate(ODD_KEYS):
            body = ("body %d" % i).encode()
            self.s3.put_object(Bucket=b, Key=key, Body=body)
            self.assertEqual(self.s3.get_object(Bucket=b, Key=key)["Body"].read(), body, key)
        listed = [o["Key"] for o in self.s3.list_objects_v2(Bucket=b)["Contents"]]
        self.assertEqual(sorted(listed, key=lambda k: k.encode()), listed)
        self.assertEqual(set(listed), set(ODD_KEYS))
        self.s3.put_object(Bucket=b, Key="empty", Body=b"")
        got = self.s3.get_object(Bucket=b, Key="empty")
        self.assertEqual(got["Body"].read(), b"")
        self.assertEqual(got["ETag"], '"d41d8cd98f00b204e9800998ecf8427e"')
        self.assertEqual(self.s3.head_object(Bucket=b, Key="empty")["ContentLength"], 0)

    def test_range_requests(self):
        b = self.bucket("ranges")
        data = bytes(range(256)) * 4
        self.s3.put_object(Bucket=b, Key="r", Body=data)
        r = self.s3.get_object(Bucket=b, Key="r", Range="bytes=10-19")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(r["ContentRange"], "bytes 10-19/1024")
        self.assertEqual(r["Body"].read(), data[10:20])
        self.assertEqual(self.s3.get_object(Bucket=b, Key="r", Range="bytes=-5")["Body"].read(), data[-5:])
        self.assertEqual(self.s3.get_object(Bucket=b, Key="r", Range="bytes=1000-")["Body"].read(), data[1000:])
        self.assertEqual(self.s3.get_object(Bucket=b, Key="r", Range="bytes=1000-5000")["Body"].read(), data[1000:])
        self.assertEqual(error_of(self.s3.get_object, Bucket=b, Key="r", Range="bytes=2000-"), ("InvalidRange", 416))

    def test_conditional_reads(self):
        b = self.bucket("cond-reads")
        etag = self.s3.put_object(Bucket=b, Key="c", Body=b"v1")["ETag"]
        self.assertEqual(self.s3.get_object(Bucket=b, Key="c", IfMatch=etag)["Body"].read(), b"v1")
        self.assertEqual(error_of(self.s3.get_object, Bucket=b, Key="c", IfMatch='"nope"'), ("PreconditionFailed", 412))
        self.assertEqual(error_of(self.s3.get_object, Bucket=b, Key="c", IfNoneMatch=etag), ("304", 304))
        future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
        past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
        self.assertEqual(error_of(self.s3.get_object, Bucket=b, Key="c", IfModifiedSince=future), ("304", 304))
        self.assertEqual(error_of(self.s3.get_object, Bucket=b, Key="c", IfUnmodifiedSince=past),
                         ("PreconditionFailed", 412))
        self.assertEqual(self.s3.get_object(Bucket=b, Key="c", IfModifiedSince=past)["Body"].read(), b"v1")
        self.assertEqual(error_of(self.s3.head_object, Bucket=b, Key="c", IfMatch='"nope"'), ("412", 412))

    def test_conditional_writes(self):
        b = self.bucket("cond-writes")
        etag = self.s3.put_object(Bucket=b, Key="w", Body=b"v1", IfNoneMatch="*")["ETag"]
        self.assertEqual(error_of(self.s3.put_object, Bucket=b, Key="w", Body=b"v2", IfNoneMatch="*"),
                         ("PreconditionFailed", 412))
        self.assertEqual(error_of(self.s3.put_object, Bucket=b, Key="w", Body=b"v2", IfMatch='"0000"'),
                         ("PreconditionFailed", 412))
        self.s3.put_object(Bucket=b, Key="w", Body=b"v2", IfMatch=etag)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="w")["Body"].read(), b"v2")

    def test_content_md5_and_checksums(self):
        b = self.bucket("integrity")
        good = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
        self.s3.put_object(Bucket=b, Key="m", Body=b"abc", ContentMD5=good)
        bad = base64.b64encode(hashlib.md5(b"xyz").digest()).decode()
        self.assertEqual(error_of(self.s3.put_object, Bucket=b, Key="m", Body=b"abc", ContentMD5=bad), ("BadDigest", 400))
        self.assertEqual(self.s3.get_object(Bucket=b, Key="m")["Body"].read(), b"abc")  # previous version intact
        data = b"The quick brown fox jumps over the lazy dog" * 100
        expected = {
            "CRC32": base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode(),
            "SHA1": base64.b64encode(hashlib.sha1(data).digest()).decode(),
            "SHA256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        }
        expected["CRC32C"] = crc32c(data)
        for algorithm in ["CRC32", "CRC32C", "SHA1", "SHA256"]:
            key = "sum-" + algorithm
            if algorithm == "CRC32C":  # botocore needs awscrt to compute CRC32C itself: give the value
                put = self.s3.put_object(Bucket=b, Key=key, Body=data, ChecksumCRC32C=expected["CRC32C"])
            else:
                put = self.s3.put_object(Bucket=b, Key=key, Body=data, ChecksumAlgorithm=algorithm)
            got = self.s3.get_object(Bucket=b, Key=key, ChecksumMode="ENABLED")
            self.assertEqual(got["Body"].read(), data)
            self.assertEqual(got["Checksum" + algorithm], put["Checksum" + algorithm])
            if algorithm in expected:
                self.assertEqual(got["Checksum" + algorithm], expected[algorithm])
            head = self.s3.head_object(Bucket=b, Key=key, ChecksumMode="ENABLED")
            self.assertEqual(head["Checksum" + algorithm], put["Checksum" + algorithm])
        self.assertEqual(error_of(self.s3.put_object, Bucket=b, Key="bad-sum", Body=data,
                                  ChecksumCRC32C=crc32c(b"other")), ("BadDigest", 400))
        wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
        self.assertEqual(error_of(self.s3.put_object, Bucket=b, Key="bad-sum", Body=data, ChecksumSHA256=wrong),
                         ("BadDigest", 400))
        self.assertEqual(error_of(self.s3.head_object, Bucket=b, Key="bad-sum"), ("404", 404))

    def test_delete_and_delete_objects(self):
        b = self.bucket("deletes")
        for k in ["a", "b", "c", "d"]:
            self.s3.put_object(Bucket=b, Key=k, Body=k.encode())
        self.s3.delete_object(Bucket=b, Key="a")
        self.s3.delete_object(Bucket=b, Key="never-existed")
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "b"}, {"Key": "c"}, {"Key": "zzz"}]})
        self.assertEqual(sorted(d["Key"] for d in r["Deleted"]), ["b", "c", "zzz"])
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "d"}], "Quiet": True})
        self.assertNotIn("Deleted", r)
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket=b))
        status, _, body = self.raw("POST", "/%s?delete" % b, body=b"<Delete><Object><Key>x</Key>")
        self.assertEqual(status, 400)
        self.assertEqual(ET.fromstring(body).findtext("Code"), "MalformedXML")

    def test_copy_object(self):
        b = self.bucket("copies")
        etag = self.s3.put_object(Bucket=b, Key="src", Body=b"payload", ContentType="text/x-src",
                                  Metadata={"m": "1"})["ETag"]
        r = self.s3.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src"})
        self.assertEqual(r["CopyObjectResult"]["ETag"], etag)
        head = self.s3.head_object(Bucket=b, Key="dst")
        self.assertEqual((head["ContentType"], head["Metadata"]), ("text/x-src", {"m": "1"}))
        self.s3.copy_object(Bucket=b, Key="dst2", CopySource="%s/src" % b, MetadataDirective="REPLACE",
                            ContentType="text/new", Metadata={"n": "2"})
        head = self.s3.head_object(Bucket=b, Key="dst2")
        self.assertEqual((head["ContentType"], head["Metadata"]), ("text/new", {"n": "2"}))
        self.assertEqual(self.s3.get_object(Bucket=b, Key="dst2")["Body"].read(), b"payload")
        self.assertEqual(error_of(self.s3.copy_object, Bucket=b, Key="dst3", CopySource="%s/src" % b,
                                  CopySourceIfMatch='"other"'), ("PreconditionFailed", 412))
        self.assertEqual(error_of(self.s3.copy_object, Bucket=b, Key="dst3", CopySource="%s/src" % b,
                                  CopySourceIfNoneMatch=etag), ("PreconditionFailed", 412))
        self.assertEqual(error_of(self.s3.copy_object, Bucket=b, Key="src", CopySource="%s/src" % b),
                         ("InvalidRequest", 400))
        self.assertEqual(error_of(self.s3.copy_object, Bucket=b, Key="dst4", CopySource="%s/none" % b),
                         ("NoSuchKey", 404))
        # Overwriting the source does not change the copy (bodies are not shared mutably).
        self.s3.put_object(Bucket=b, Key="src", Body=b"changed")
        self.assertEqual(self.s3.get_object(Bucket=b, Key="dst")["Body"].read(), b"payload")

    # --- listings ------------------------------------------------------------------------------

    def test_list_objects_v2(self):
        b = self.bucket("listing")
        keys = ["a.txt", "dir/1", "dir/2", "dir/sub/3", "other/x", "z.txt", "sp ace/k"]
        for k in keys:
            self.s3.put_object(Bucket=b, Key=k, Body=b"1")
        r = self.s3.list_objects_v2(Bucket=b)
        self.assertEqual([o["Key"] for o in r["Contents"]], sorted(keys))
        self.assertEqual(r["KeyCount"], len(keys))
        r = self.s3.list_objects_v2(Bucket=b, Delimiter="/")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["a.txt", "z.txt"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["dir/", "other/", "sp ace/"])
        r = self.s3.list_objects_v2(Bucket=b, Prefix="dir/", Delimiter="/")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["dir/1", "dir/2"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["dir/sub/"])
        r = self.s3.list_objects_v2(Bucket=b, StartAfter="dir/2")
        self.assertEqual(r["Contents"][0]["Key"], "dir/sub/3")
        self.assertNotIn("Owner", r["Contents"][0])
        self.assertIn("Owner", self.s3.list_objects_v2(Bucket=b, FetchOwner=True)["Contents"][0])
        # Pagination with continuation tokens, mixing keys and common prefixes.
        seen, token = [], None
        while True:
            kwargs = {"Bucket": b, "MaxKeys": 2, "Delimiter": "/"}
            if token:
                kwargs["ContinuationToken"] = token
            page = self.s3.list_objects_v2(**kwargs)
            seen += [o["Key"] for o in page.get("Contents", [])] + [p["Prefix"] for p in page.get("CommonPrefixes", [])]
            self.assertLessEqual(page["KeyCount"], 2)
            if not page["IsTruncated"]:
                break
            token = page["NextContinuationToken"]
        self.assertEqual(sorted(seen), ["a.txt", "dir/", "other/", "sp ace/", "z.txt"])
        paginator = self.s3.get_paginator("list_objects_v2")
        all_keys = [o["Key"] for p in paginator.paginate(Bucket=b, PaginationConfig={"PageSize": 3}) for o in p["Contents"]]
        self.assertEqual(all_keys, sorted(keys))
        r = self.s3.list_objects_v2(Bucket=b, MaxKeys=0)
        self.assertEqual(r["KeyCount"], 0)
        status, _, body = self.raw("GET", "/%s?list-type=2&max-keys=abc" % b)
        self.assertEqual((status, ET.fromstring(body).findtext("Code")), (400, "InvalidArgument"))
        status, _, body = self.raw("GET", "/%s?list-type=2&continuation-token=%%21%%21" % b)
        self.assertEqual((status, ET.fromstring(body).findtext("Code")), (400, "InvalidArgument"))

    def test_list_objects_v1(self):
        b = self.bucket("listing-v1")
        keys = ["k%02d" % i for i in range(7)]
        for k in keys:
            self.s3.put_object(Bucket=b, Key=k, Body=b"1")
        r = self.s3.list_objects(Bucket=b, MaxKeys=3)
        self.assertTrue(r["IsTruncated"])
        self.assertEqual([o["Key"] for o in r["Contents"]], keys[:3])
        r = self.s3.list_objects(Bucket=b, Marker="k02", MaxKeys=3)
        self.assertEqual([o["Key"] for o in r["Contents"]], keys[3:6])
        paginator = self.s3.get_paginator("list_objects")
        self.assertEqual([o["Key"] for p in paginator.paginate(Bucket=b, PaginationConfig={"PageSize": 2})
                          for o in p["Contents"]], keys)

    def test_encoding_type_url(self):
        b = self.bucket("encoded")
        for k in ODD_KEYS:
            self.s3.put_object(Bucket=b, Key=k, Body=b"1")
        # boto3 asks for encoding-type=url and decodes; check the raw wire form too.
        self.assertEqual(set(o["Key"] for o in self.s3.list_objects_v2(Bucket=b)["Contents"]), set(ODD_KEYS))
        status, _, body = self.raw("GET", "/%s?list-type=2&encoding-type=url&prefix=with" % b)
        ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
        self.assertEqual(ET.fromstring(body).find(ns + "Contents").findtext(ns + "Key"), "with%20space.txt")

    # --- multipart -----------------------------------------------------------------------------

    def test_multipart_upload(self):
        b = self.bucket("multipart")
        key = "big/object.bin"
        part1, part2 = os.urandom(5 * MiB), os.urandom(MiB + 17)
        up = self.s3.create_multipart_upload(Bucket=b, Key=key, ContentType="application/x-big", Metadata={"a": "b"})
        uid = up["UploadId"]
        uploads = self.s3.list_multipart_uploads(Bucket=b)["Uploads"]
        self.assertEqual([(u["Key"], u["UploadId"]) for u in uploads], [(key, uid)])
        e1 = self.s3.upload_part(Bucket=b, Key=key, UploadId=uid, PartNumber=1, Body=part1)["ETag"]
        e2 = self.s3.upload_part(Bucket=b, Key=key, UploadId=uid, PartNumber=2, Body=part2)["ETag"]
        parts = self.s3.list_parts(Bucket=b, Key=key, UploadId=uid)["Parts"]
        self.assertEqual([(p["PartNumber"], p["ETag"], p["Size"]) for p in parts],
                         [(1, e1, len(part1)), (2, e2, len(part2))])
        self.assertEqual(error_of(self.s3.complete_multipart_upload, Bucket=b, Key=key, UploadId=uid,
                                  MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]}),
                         ("InvalidPartOrder", 400))
        self.assertEqual(error_of(self.s3.complete_multipart_upload, Bucket=b, Key=key, UploadId=uid,
                                  MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 3, "ETag": e2}]}),
                         ("InvalidPart", 400))
        done = self.s3.complete_multipart_upload(Bucket=b, Key=key, UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        md5s = hashlib.md5(part1).digest() + hashlib.md5(part2).digest()
        self.assertEqual(done["ETag"], '"%s-2"' % hashlib.md5(md5s).hexdigest())
        got = self.s3.get_object(Bucket=b, Key=key)
        self.assertEqual(got["Body"].read(), part1 + part2)
        self.assertEqual((got["ContentType"], got["Metadata"]), ("application/x-big", {"a": "b"}))
        self.assertEqual(error_of(self.s3.list_parts, Bucket=b, Key=key, UploadId=uid), ("NoSuchUpload", 404))
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket=b))

    def test_multipart_errors_and_abort(self):
        b = self.bucket("multipart-errors")
        uid = self.s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
        e1 = self.s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=1, Body=b"small")["ETag"]
        e2 = self.s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=2, Body=b"small")["ETag"]
        self.assertEqual(error_of(self.s3.complete_multipart_upload, Bucket=b, Key="k", UploadId=uid,
                                  MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]}),
                         ("EntityTooSmall", 400))
        self.assertEqual(error_of(self.s3.upload_part, Bucket=b, Key="k", UploadId=uid, PartNumber=0, Body=b"x"),
                         ("InvalidArgument", 400))
        self.s3.abort_multipart_upload(Bucket=b, Key="k", UploadId=uid)
        self.assertEqual(error_of(self.s3.abort_multipart_upload, Bucket=b, Key="k", UploadId=uid), ("NoSuchUpload", 404))
        self.assertEqual(error_of(self.s3.upload_part, Bucket=b, Key="k", UploadId="nope", PartNumber=1, Body=b"x"),
                         ("NoSuchUpload", 404))
        self.assertEqual(error_of(self.s3.head_object, Bucket=b, Key="k"), ("404", 404))  # no trace left

    def test_upload_part_copy(self):
        b = self.bucket("part-copy")
        src = os.urandom(6 * MiB)
        self.s3.put_object(Bucket=b, Key="src", Body=src)
        uid = self.s3.create_multipart_upload(Bucket=b, Key="dst")["UploadId"]
        p1 = self.s3.upload_part_copy(Bucket=b, Key="dst", UploadId=uid, PartNumber=1, CopySource="%s/src" % b,
                                      CopySourceRange="bytes=0-%d" % (5 * MiB - 1))["CopyPartResult"]["ETag"]
        p2 = self.s3.upload_part_copy(Bucket=b, Key="dst", UploadId=uid, PartNumber=2, CopySource="%s/src" % b,
                                      CopySourceRange="bytes=%d-%d" % (5 * MiB, len(src) - 1))["CopyPartResult"]["ETag"]
        self.s3.complete_multipart_upload(Bucket=b, Key="dst", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": p1}, {"PartNumber": 2, "ETag": p2}]})
        self.assertEqual(self.s3.get_object(Bucket=b, Key="dst")["Body"].read(), src)

    def test_multipart_with_checksums(self):
        b = self.bucket("multipart-sums")
        uid = self.s3.create_multipart_upload(Bucket=b, Key="k", ChecksumAlgorithm="SHA256")["UploadId"]
        p1, p2 = os.urandom(5 * MiB), b"tail"
        r1 = self.s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=1, Body=p1, ChecksumAlgorithm="SHA256")
        r2 = self.s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=2, Body=p2, ChecksumAlgorithm="SHA256")
        done = self.s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": r1["ETag"], "ChecksumSHA256": r1["ChecksumSHA256"]},
            {"PartNumber": 2, "ETag": r2["ETag"], "ChecksumSHA256": r2["ChecksumSHA256"]}]})
        composite = hashlib.sha256(hashlib.sha256(p1).digest() + hashlib.sha256(p2).digest()).digest()
        self.assertEqual(done["ChecksumSHA256"], base64.b64encode(composite).decode() + "-2")
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k", ChecksumMode="ENABLED")["Body"].read(), p1 + p2)

    # --- versioning ----------------------------------------------------------------------------

    def test_versioning(self):
        b = self.bucket("versioned")
        self.assertNotIn("Status", self.s3.get_bucket_versioning(Bucket=b))
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled")
        v1 = self.s3.put_object(Bucket=b, Key="doc", Body=b"one")["VersionId"]
        v2 = self.s3.put_object(Bucket=b, Key="doc", Body=b"two")["VersionId"]
        self.assertNotEqual(v1, v2)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="doc")["Body"].read(), b"two")
        self.assertEqual(self.s3.get_object(Bucket=b, Key="doc", VersionId=v1)["Body"].read(), b"one")
        deleted = self.s3.delete_object(Bucket=b, Key="doc")
        self.assertTrue(deleted["DeleteMarker"])
        marker = deleted["VersionId"]
        self.assertEqual(error_of(self.s3.get_object, Bucket=b, Key="doc"), ("NoSuchKey", 404))
        self.assertEqual(error_of(self.s3.get_object, Bucket=b, Key="doc", VersionId=marker), ("MethodNotAllowed", 405))
        self.assertEqual(error_of(self.s3.get_object, Bucket=b, Key="doc", VersionId="0" * 32), ("NoSuchVersion", 404))
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket=b))
        versions = self.s3.list_object_versions(Bucket=b)
        self.assertEqual([(v["VersionId"], v["IsLatest"]) for v in versions["Versions"]], [(v2, False), (v1, False)])
        self.assertEqual([(m["VersionId"], m["IsLatest"]) for m in versions["DeleteMarkers"]], [(marker, True)])
        self.s3.delete_object(Bucket=b, Key="doc", VersionId=marker)  # removing the marker restores v2
        self.assertEqual(self.s3.get_object(Bucket=b, Key="doc")["Body"].read(), b"two")
        self.s3.delete_object(Bucket=b, Key="doc", VersionId=v2)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="doc")["Body"].read(), b"one")
        page = self.s3.list_object_versions(Bucket=b, MaxKeys=1)
        self.assertFalse(page["IsTruncated"])
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
        self.assertEqual(self.s3.put_object(Bucket=b, Key="doc", Body=b"null-1").get("VersionId"), None)
        self.s3.put_object(Bucket=b, Key="doc", Body=b"null-2")
        ids = [v["VersionId"] for v in self.s3.list_object_versions(Bucket=b)["Versions"]]
        self.assertEqual(ids, ["null", v1])

    def test_version_listing_pages(self):
        b = self.bucket("versions-pages", versioned=True)
        for i in range(3):
            for k in ["a", "b"]:
                self.s3.put_object(Bucket=b, Key=k, Body=str(i).encode())
        seen = []
        for page in self.s3.get_paginator("list_object_versions").paginate(Bucket=b, PaginationConfig={"PageSize": 2}):
            seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
        self.assertEqual(len(seen), 6)
        self.assertEqual(len(set(seen)), 6)
        self.assertEqual([k for k, _ in seen], ["a"] * 3 + ["b"] * 3)

    # --- tagging -------------------------------------------------------------------------------

    def test_object_tagging(self):
        b = self.bucket("tags")
        self.s3.put_object(Bucket=b, Key="t", Body=b"x", Tagging="team=cards&env=dev")
        self.assertEqual(self.s3.get_object(Bucket=b, Key="t")["TagCount"], 2)
        tags = self.s3.get_object_tagging(Bucket=b, Key="t")["TagSet"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags), [("env", "dev"), ("team", "cards")])
        self.s3.put_object_tagging(Bucket=b, Key="t", Tagging={"TagSet": [{"Key": "k", "Value": "v w"}]})
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key="t")["TagSet"], [{"Key": "k", "Value": "v w"}])
        self.s3.delete_object_tagging(Bucket=b, Key="t")
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key="t")["TagSet"], [])
        self.assertEqual(error_of(self.s3.put_object_tagging, Bucket=b, Key="missing",
                                  Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}), ("NoSuchKey", 404))

    # --- auth, presign, addressing, wire details ------------------------------------------------

    def test_signature_errors(self):
        self.bucket("auth")
        bad = client(self.proc, secret_key="wrong")
        self.assertEqual(error_of(bad.list_objects_v2, Bucket="auth"), ("SignatureDoesNotMatch", 403))
        unknown = client(self.proc, access_key="nobody", secret_key="x")
        self.assertEqual(error_of(unknown.list_objects_v2, Bucket="auth"), ("InvalidAccessKeyId", 403))
        other = client(self.proc, access_key="app-team", secret_key="app-team-secret")
        other.list_objects_v2(Bucket="auth")

    def test_presigned_urls_sigv4(self):
        b = self.bucket("presign-v4")
        self.s3.put_object(Bucket=b, Key="dir/file name+1.txt", Body=b"v4 body")
        v4 = client(self.proc, signature_version="s3v4")
        url = v4.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "dir/file name+1.txt"}, ExpiresIn=300)
        self.assertIn("X-Amz-Signature=", url)
        path = url.split(str(self.port), 1)[1]
        status, _, body = self.raw("GET", path)
        self.assertEqual((status, body), (200, b"v4 body"))
        status, _, body = self.raw("GET", path.replace("X-Amz-Expires=300", "X-Amz-Expires=301"))
        self.assertEqual((status, ET.fromstring(body).findtext("Code")), (403, "SignatureDoesNotMatch"))
        put_url = v4.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "up4"}, ExpiresIn=300)
        status, _, _ = self.raw("PUT", put_url.split(str(self.port), 1)[1], body=b"up v4")
        self.assertEqual(status, 200)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="up4")["Body"].read(), b"up v4")

    def test_presigned_urls_and_expiry_on_the_clock(self):
        b = self.bucket("presign")
        self.s3.put_object(Bucket=b, Key="file name+1.txt", Body=b"presigned body")
        v4 = client(self.proc, signature_version="s3v4")
        short_v4 = v4.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "file name+1.txt"}, ExpiresIn=60)
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "file name+1.txt"}, ExpiresIn=300)
        path = url.split(str(self.port), 1)[1]
        status, _, body = self.raw("GET", path)
        self.assertEqual((status, body), (200, b"presigned body"))
        put_url = self.s3.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "up"}, ExpiresIn=300)
        status, _, _ = self.raw("PUT", put_url.split(str(self.port), 1)[1], body=b"uploaded")
        self.assertEqual(status, 200)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="up")["Body"].read(), b"uploaded")
        tampered = path.replace("file%20name", "other%20name")
        status, _, body = self.raw("GET", tampered)
        self.assertEqual((status, ET.fromstring(body).findtext("Code")), (403, "SignatureDoesNotMatch"))
        short = self.s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "file name+1.txt"}, ExpiresIn=60)
        status, _, _ = self.raw("POST", "/_sim/clock", body=json.dumps({"advance": "PT2M"}).encode(),
                                headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200)
        for expired in [short, short_v4]:
            status, _, body = self.raw("GET", expired.split(str(self.port), 1)[1])
            self.assertEqual(status, 403)
            err = ET.fromstring(body)
            self.assertEqual((err.findtext("Code"), err.findtext("Message")), ("AccessDenied", "Request has expired"))
        status, _, _ = self.raw("GET", path)  # the 300 s URL is still valid
        self.assertEqual(status, 200)

    def test_virtual_hosted_style(self):
        b = self.bucket("vhost-bucket")
        self.s3.put_object(Bucket=b, Key="dir/v.txt", Body=b"virtual")
        for host in ["vhost-bucket.localhost:%d" % self.port, "vhost-bucket.s3.localhost:%d" % self.port]:
            status, _, body = self.raw("GET", "/dir/v.txt", headers={"Host": host})
            self.assertEqual((status, body), (200, b"virtual"), host)
            status, _, body = self.raw("GET", "/?list-type=2", headers={"Host": host})
            self.assertIn(b"<Key>dir/v.txt</Key>", body)
        status, _, _ = self.raw("PUT", "/new.txt", body=b"n", headers={"Host": "vhost-bucket.localhost"})
        self.assertEqual(status, 200)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="new.txt")["Body"].read(), b"n")

    def test_error_body_shape_and_head_without_body(self):
        self.bucket("wire")
        status, headers, body = self.raw("GET", "/wire/missing-key")
        self.assertEqual(status, 404)
        err = ET.fromstring(body)
        self.assertEqual(err.findtext("Code"), "NoSuchKey")
        self.assertEqual(err.findtext("Resource"), "/wire/missing-key")
        self.assertTrue(err.findtext("RequestId"))
        self.assertEqual(err.findtext("RequestId"), headers["x-amz-request-id"])
        status, headers, body = self.raw("HEAD", "/wire/missing-key")
        self.assertEqual((status, body), (404, b""))
        self.s3.put_object(Bucket="wire", Key="k", Body=b"12345")
        status, headers, body = self.raw("HEAD", "/wire/k")
        self.assertEqual((status, headers["content-length"], body), (200, "5", b""))
        status, _, body = self.raw("PATCH", "/wire/k")
        self.assertEqual((status, ET.fromstring(body).findtext("Code")), (405, "MethodNotAllowed"))

    def test_failed_upload_leaves_previous_version(self):
        b = self.bucket("atomic")
        self.s3.put_object(Bucket=b, Key="k", Body=b"original")
        # A truncated aws-chunked body: the server rejects it and the old object stays.
        body = b"10\r\n0123456789abcdef\r\n"
        status, _, resp = self.raw("PUT", "/%s/k" % b, body=body, headers={
            "Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": "32",
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
        self.assertEqual(status, 400)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"original")


if __name__ == "__main__":
    unittest.main()
