/*
 * Geneva bundled rules: script droppers and download cradles seen in mail
 * attachments. Written for Geneva from public descriptions of the techniques.
 */

rule Script_PowerShell_Download_Cradle
{
	meta:
		description = "PowerShell that downloads and runs code"
		score = 70
	strings:
		$ps = "powershell" nocase
		$a1 = "DownloadString" nocase
		$a2 = "DownloadFile" nocase
		$a3 = "Invoke-WebRequest" nocase
		$a4 = "Net.WebClient" nocase
		$x1 = "IEX" nocase
		$x2 = "Invoke-Expression" nocase
		$x3 = "Start-Process" nocase
	condition:
		$ps and any of ($a*) and any of ($x*)
}

rule Script_PowerShell_Encoded_Command
{
	meta:
		description = "PowerShell started with a base64-encoded command"
		score = 60
	strings:
		$a = /powershell(\.exe)?["']?\s+[^\n]{0,80}-e(nc|ncodedcommand)?\s+[A-Za-z0-9+\/=]{40,}/ nocase
	condition:
		$a
}

rule Script_WScript_Shell_Run
{
	meta:
		description = "Windows Script Host script that runs programs"
		score = 50
	strings:
		$o = "WScript.Shell" nocase
		$r1 = ".Run" nocase
		$r2 = ".Exec" nocase
		$d1 = "MSXML2.XMLHTTP" nocase
		$d2 = "ADODB.Stream" nocase
		$d3 = "WinHttp.WinHttpRequest" nocase
	condition:
		$o and any of ($r*) and any of ($d*)
}

rule Script_Mshta_Remote
{
	meta:
		description = "mshta or regsvr32 pointed at a remote script"
		score = 60
	strings:
		$a = /mshta(\.exe)?\s+["']?https?:\/\//  nocase
		$b = /regsvr32[^\n]{0,40}\/i:https?:\/\// nocase
	condition:
		any of them
}
