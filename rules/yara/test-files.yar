/*
 * Geneva bundled rules: industry test files. They carry no malware; they
 * exist so that every unpacking path can be proven with public samples.
 * meta score: Geneva finding score (100 = certainly malicious).
 */
import "hash"

rule EICAR_Test_File
{
	meta:
		description = "EICAR anti-virus test file"
		score = 100
	strings:
		$eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
	condition:
		$eicar
}

rule ClamAV_Test_File
{
	meta:
		description = "ClamAV test program clam.exe (content)"
		score = 100
	strings:
		/* The import name and the marker both survive being embedded in
		 * containers that store it uncompressed. */
		$import = "CLAMessageBoxA"
		$marker = "[CLAMAV]"
	condition:
		$import and $marker and @marker[1] - @import[1] < 544
}

rule ClamAV_Test_File_MD5
{
	meta:
		description = "ClamAV test program clam.exe (exact MD5, 544 bytes)"
		score = 100
	condition:
		filesize == 544 and
		hash.md5(0, filesize) == "aa15bcf478d165efd2065190eb473bcb"
}
