// Mozilla User Preferences

user_pref("mail.server.server1.hostname", "pop-legacy.office365.com");
user_pref("mail.server.server1.port", 995);
user_pref("mail.server.server1.socketType", 3);
user_pref("mail.server.server1.type", "pop3");
user_pref("security.tls.version.min", 2);
