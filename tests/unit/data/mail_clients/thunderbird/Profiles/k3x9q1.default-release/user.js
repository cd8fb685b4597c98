// user.js: kept by the admin
user_pref("mail.shell.checkDefaultClient", false);
user_pref("security.tls.version.max", 1);
