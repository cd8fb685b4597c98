<?php
$mbox = imap_open("{outlook.office365.com:143/imap/tls}INBOX", $user, $pass);
stream_socket_enable_crypto($fp, true, STREAM_CRYPTO_METHOD_TLSv1_0_CLIENT);
