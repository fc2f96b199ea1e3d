/* `iexec-sms import-java-backup FILE --key KEYFILE`: migration from the Java SMS into the
 * store and key configured by the environment (same variables as the daemon). */
#ifndef SMS_JAVA_IMPORT_CMD_H
#define SMS_JAVA_IMPORT_CMD_H

/* argv/argc after the command word. Prints the report on stdout or one error line on
 * stderr; returns the process exit code (0 imported, 1 refused or failed, 2 usage). */
int java_import_command(int argc, char **argv);

#endif
