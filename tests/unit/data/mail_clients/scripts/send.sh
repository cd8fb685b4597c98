#!/bin/sh
curl --ssl-reqd --tlsv1.0 --tls-max 1.0 smtp://smtp.office365.com:587 --mail-from a@b.example -T msg.txt
