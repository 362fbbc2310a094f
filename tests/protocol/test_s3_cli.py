"""S3 protocol tests with the aws CLI (mb, cp both ways with multipart, sync, ls, rm --recursive,
presign fetched with http.client) and a restart test (objects and versions survive kill -9)."""
import hashlib
import http.client
import os
import shutil
import signal
import subprocess
import tempfile
import unittest
import urllib.parse

from s3_support import CardsimProcess, client, endpoint

MiB = 1024 * 1024


class S3CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc = CardsimProcess().start()
        cls.env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                       AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                       AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        cls.work = tempfile.mkdtemp(prefix="cardsim-s3-cli-")

    @classmethod
    def tearDownClass(cls):
        cls.proc.__exit__(None, None, None)
        shutil.rmtree(cls.work, ignore_errors=True)

    def aws(self, *args, check=True):
        r = subprocess.run(["aws", "--endpoint-url", endpoint(self.proc), *args], env=self.env,
                           capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            self.fail("aws %s failed (%d): %s\n%s" % (" ".join(args), r.returncode, r.stderr, self.proc.stderr()[-3000:]))
        return r

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def test_mb_and_ls(self):
        self.aws("s3", "mb", "s3://cli-listing")
        self.assertIn("cli-listing", self.aws("s3", "ls").stdout)
        r = self.aws("s3", "mb", "s3://cli-listing", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("BucketAlreadyOwnedByYou", r.stderr)

    def test_cp_20_mib_both_ways_multipart(self):
        self.aws("s3", "mb", "s3://cli-big")
        src = self.path("big.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(20 * MiB))
        self.aws("s3", "cp", src, "s3://cli-big/dir/big file.bin")
        head = client(self.proc).head_object(Bucket="cli-big", Key="dir/big file.bin")
        self.assertEqual(head["ContentLength"], 20 * MiB)
        self.assertTrue(head["ETag"].strip('"').endswith("-3"), head["ETag"])  # 8 MiB parts: multipart
        dst = self.path("big.copy")
        self.aws("s3", "cp", "s3://cli-big/dir/big file.bin", dst)
        with open(src, "rb") as a, open(dst, "rb") as b:
            self.assertEqual(hashlib.sha256(a.read()).digest(), hashlib.sha256(b.read()).digest())

    def test_sync_ls_rm_recursive_with_odd_names(self):
        self.aws("s3", "mb", "s3://cli-sync")
        tree = self.path("tree")
        names = ["a.txt", "sub dir/b+c.txt", "sub dir/deeper/ünïcødé.txt", "pct%41.txt", "empty.txt"]
        for n in names:
            os.makedirs(os.path.dirname(os.path.join(tree, n)), exist_ok=True)
            with open(os.path.join(tree, n), "wb") as f:
                f.write(b"" if n == "empty.txt" else n.encode() * 10)
        self.aws("s3", "sync", tree, "s3://cli-sync/prefix")
        out = self.aws("s3", "ls", "--recursive", "s3://cli-sync/").stdout
        for n in names:
            self.assertIn("prefix/" + n, out)
        top = self.aws("s3", "ls", "s3://cli-sync/prefix/").stdout
        self.assertIn("PRE sub dir/", top)
        # A second sync uploads nothing; a changed file is uploaded again.
        self.assertEqual(self.aws("s3", "sync", tree, "s3://cli-sync/prefix").stdout.strip(), "")
        with open(os.path.join(tree, "a.txt"), "wb") as f:
            f.write(b"changed content")
        self.assertIn("a.txt", self.aws("s3", "sync", tree, "s3://cli-sync/prefix").stdout)
        back = self.path("back")
        self.aws("s3", "sync", "s3://cli-sync/prefix", back)
        for n in names:
            with open(os.path.join(tree, n), "rb") as a, open(os.path.join(back, n), "rb") as b:
                self.assertEqual(a.read(), b.read(), n)
        self.aws("s3", "rm", "--recursive", "s3://cli-sync/prefix")
        self.assertEqual(self.aws("s3", "ls", "--recursive", "s3://cli-sync/", check=False).stdout.strip(), "")
        self.aws("s3", "rb", "s3://cli-sync")

    def test_presign_fetched_with_plain_http(self):
        self.aws("s3", "mb", "s3://cli-presign")
        src = self.path("p.txt")
        with open(src, "wb") as f:
            f.write(b"presigned via cli")
        self.aws("s3", "cp", src, "s3://cli-presign/some key.txt")
        url = self.aws("s3", "presign", "s3://cli-presign/some key.txt", "--expires-in", "300").stdout.strip()
        parsed = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        conn.request("GET", parsed.path + "?" + parsed.query)
        r = conn.getresponse()
        self.assertEqual((r.status, r.read()), (200, b"presigned via cli"))
        conn.close()


class S3RestartTest(unittest.TestCase):
    def test_objects_and_versions_survive_kill_9(self):
        data_dir = tempfile.mkdtemp(prefix="cardsim-s3-restart-")
        try:
            big = os.urandom(6 * MiB)
            with CardsimProcess(data_dir=data_dir) as p:
                s3 = client(p)
                s3.create_bucket(Bucket="durable")
                s3.put_bucket_versioning(Bucket="durable", VersioningConfiguration={"Status": "Enabled"})
                v1 = s3.put_object(Bucket="durable", Key="doc", Body=b"one")["VersionId"]
                v2 = s3.put_object(Bucket="durable", Key="doc", Body=b"two")["VersionId"]
                s3.put_object(Bucket="durable", Key="big", Body=big)
                s3.delete_object(Bucket="durable", Key="gone")
                uid = s3.create_multipart_upload(Bucket="durable", Key="mpu")["UploadId"]
                etag = s3.upload_part(Bucket="durable", Key="mpu", UploadId=uid, PartNumber=1, Body=b"part")["ETag"]
                p.signal(signal.SIGKILL)
                p.wait(5)
            with CardsimProcess(data_dir=data_dir) as p:
                s3 = client(p)
                self.assertEqual(s3.get_object(Bucket="durable", Key="doc")["Body"].read(), b"two")
                self.assertEqual(s3.get_object(Bucket="durable", Key="doc", VersionId=v1)["Body"].read(), b"one")
                versions = [v["VersionId"] for v in s3.list_object_versions(Bucket="durable", Prefix="doc")["Versions"]]
                self.assertEqual(versions, [v2, v1])
                self.assertEqual(s3.get_object(Bucket="durable", Key="big")["Body"].read(), big)
                self.assertEqual(s3.get_bucket_versioning(Bucket="durable")["Status"], "Enabled")
                s3.complete_multipart_upload(Bucket="durable", Key="mpu", UploadId=uid,
                                             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
                self.assertEqual(s3.get_object(Bucket="durable", Key="mpu")["Body"].read(), b"part")
                v3 = s3.put_object(Bucket="durable", Key="doc", Body=b"three")["VersionId"]
                self.assertNotIn(v3, [v1, v2])  # ids do not repeat after a restart
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
