<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name></name>
    <message>
        <source>Add stamp</source>
        <translation>Stempel geben</translation>
    </message>
    <message>
        <source>Earn points</source>
        <translation>Punkte sammeln</translation>
    </message>
    <message>
        <source>Redeem stamps</source>
        <translation>Stempel einlösen</translation>
    </message>
    <message>
        <source>Redeem reward</source>
        <translation>Prämie einlösen</translation>
    </message>
    <message>
        <source>Void</source>
        <translation>Stornieren</translation>
    </message>
    <message>
        <source>Adjust</source>
        <translation>Korrigieren</translation>
    </message>
    <message>
        <source>New card</source>
        <translation>Neue Karte</translation>
    </message>
    <message>
        <source>Deactivate</source>
        <translation>Deaktivieren</translation>
    </message>
    <message>
        <source>Manager who approves</source>
        <translation>Freigebende Leitung</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <source>Manager&apos;s PIN</source>
        <translation>PIN der Leitung</translation>
    </message>
    <message>
        <source>Manager</source>
        <translation>Leitung</translation>
    </message>
    <message>
        <source>Only the owner can adjust a balance</source>
        <translation>Nur der Inhaber kann einen Stand korrigieren</translation>
    </message>
    <message>
        <source>Ask the owner to sign in at this till (F12 locks it) and adjust it.</source>
        <translation>Bitten Sie den Inhaber, sich an dieser Kasse anzumelden (F12 sperrt sie) und zu korrigieren.</translation>
    </message>
    <message>
        <source>Unlock staff  Ctrl+U</source>
        <translation>Entsperren  Strg+U</translation>
    </message>
    <message>
        <source>End a colleague&apos;s lockout after wrong PINs (managers and the owner).</source>
        <translation>Die Sperre nach falschen PINs für Kollegen aufheben (Leitung und Inhaber).</translation>
    </message>
    <message>
        <source>Lock  F12</source>
        <translation>Sperren  F12</translation>
    </message>
    <message>
        <source>Scan a card or type a name</source>
        <translation>Karte scannen oder Namen eingeben</translation>
    </message>
    <message>
        <source>Card number or customer name</source>
        <translation>Kartennummer oder Kundenname</translation>
    </message>
    <message>
        <source>Matching cards</source>
        <translation>Passende Karten</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Verlauf</translation>
    </message>
    <message>
        <source>Rejections</source>
        <translation>Ablehnungen</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>Heute</translation>
    </message>
    <message>
        <source>Press F8 to enrol it as a new card.</source>
        <translation>Mit F8 als neue Karte anlegen.</translation>
    </message>
    <message>
        <source>No card or customer matches “{text}”.</source>
        <translation>Keine Karte und kein Kunde passt zu „{text}“.</translation>
    </message>
    <message>
        <source>Card not found</source>
        <translation>Karte nicht gefunden</translation>
    </message>
    <message>
        <source>(no name)</source>
        <translation>(ohne Namen)</translation>
    </message>
    <message>
        <source>{name} — card {number}</source>
        <translation>{name} — Karte {number}</translation>
    </message>
    <message>
        <source>Reactivate</source>
        <translation>Reaktivieren</translation>
    </message>
    <message>
        <source>Store managers and owners only.</source>
        <translation>Nur Filialleitung und Inhaber.</translation>
    </message>
    <message>
        <source>The merchant&apos;s owner only.</source>
        <translation>Nur der Inhaber.</translation>
    </message>
    <message>
        <source>this customer</source>
        <translation>diesem Kunden</translation>
    </message>
    <message>
        <source>Deactivate card {number} of {name}? It can be reactivated later.</source>
        <translation>Karte {number} von {name} deaktivieren? Sie kann später reaktiviert werden.</translation>
    </message>
    <message>
        <source>{done}. Saved.</source>
        <translation>{done}. Gespeichert.</translation>
    </message>
    <message>
        <source>Rejections ({count})</source>
        <translation>Ablehnungen ({count})</translation>
    </message>
    <message>
        <source>Void a transaction</source>
        <translation>Buchung stornieren</translation>
    </message>
    <message>
        <source>Points to void</source>
        <translation>Zu stornierende Punkte</translation>
    </message>
    <message>
        <source>{count} left to void</source>
        <translation>noch {count} stornierbar</translation>
    </message>
    <message>
        <source>Nothing on this card can be voided.</source>
        <translation>Auf dieser Karte kann nichts storniert werden.</translation>
    </message>
    <message>
        <source>a stamp is voided whole</source>
        <translation>ein Stempel wird ganz storniert</translation>
    </message>
    <message>
        <source>Type the points to void.</source>
        <translation>Geben Sie die zu stornierenden Punkte ein.</translation>
    </message>
    <message>
        <source>{points} is out of range: void between 1 and {maximum} points.</source>
        <translation>{points} liegt außerhalb: zwischen 1 und {maximum} Punkte stornieren.</translation>
    </message>
    <message>
        <source>Adjust the balance</source>
        <translation>Stand korrigieren</translation>
    </message>
    <message>
        <source>Stamps to add or take away</source>
        <translation>Stempel dazu oder weg</translation>
    </message>
    <message>
        <source>Points to add or take away</source>
        <translation>Punkte dazu oder weg</translation>
    </message>
    <message>
        <source>Stamps (+ or −)</source>
        <translation>Stempel (+ oder −)</translation>
    </message>
    <message>
        <source>Points (+ or −)</source>
        <translation>Punkte (+ oder −)</translation>
    </message>
    <message>
        <source>Why? (required)</source>
        <translation>Warum? (Pflicht)</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Grund</translation>
    </message>
    <message>
        <source>Between −{limit} and +{limit} each.</source>
        <translation>Jeweils zwischen −{limit} und +{limit}.</translation>
    </message>
    <message>
        <source>Type a whole number, with − to take away.</source>
        <translation>Geben Sie eine ganze Zahl ein, mit − zum Abziehen.</translation>
    </message>
    <message>
        <source>An adjustment is at most {limit} either way.</source>
        <translation>Eine Korrektur beträgt höchstens {limit} in jede Richtung.</translation>
    </message>
    <message>
        <source>Enter the stamps or points to add or take away.</source>
        <translation>Geben Sie die Stempel oder Punkte ein, die dazukommen oder wegfallen.</translation>
    </message>
    <message>
        <source>Please give a reason for the adjustment.</source>
        <translation>Bitte einen Grund für die Korrektur angeben.</translation>
    </message>
    <message>
        <source>{name} ({cost} pts)</source>
        <translation>{name} ({cost} Pkt.)</translation>
    </message>
    <message>
        <source>Scan a card to begin</source>
        <translation>Zum Beginnen eine Karte scannen</translation>
    </message>
    <message>
        <source>Customer without a name</source>
        <translation>Kunde ohne Namen</translation>
    </message>
    <message>
        <source>Card {number}</source>
        <translation>Karte {number}</translation>
    </message>
    <message>
        <source>This card is deactivated.</source>
        <translation>Diese Karte ist deaktiviert.</translation>
    </message>
    <message>
        <source>Includes 1 unsynced transaction</source>
        <translation>1 Buchung nicht synchronisiert</translation>
    </message>
    <message>
        <source>Includes {count} unsynced transactions</source>
        <translation>{count} Buchungen nicht synchronisiert</translation>
    </message>
    <message>
        <source>This view includes transactions not yet confirmed by the server; it may still change.</source>
        <translation>Diese Ansicht enthält Buchungen, die der Server noch nicht bestätigt hat; sie kann sich noch ändern.</translation>
    </message>
    <message>
        <source>{count} of {target} stamps</source>
        <translation>{count} von {target} Stempeln</translation>
    </message>
    <message>
        <source>{reward} ready to redeem (F4)</source>
        <translation>{reward} einlösbar (F4)</translation>
    </message>
    <message>
        <source>reward</source>
        <translation>Prämie</translation>
    </message>
    <message>
        <source>Can afford: {rewards}</source>
        <translation>Reicht für: {rewards}</translation>
    </message>
    <message>
        <source>No reward affordable yet.</source>
        <translation>Noch reicht es für keine Prämie.</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>Abbrechen (Esc)</translation>
    </message>
    <message>
        <source>OK (Enter)</source>
        <translation>OK (Enter)</translation>
    </message>
    <message>
        <source>{title}: {message}</source>
        <translation>{title}: {message}</translation>
    </message>
    <message>
        <source>The till is locked: sign in first.</source>
        <translation>Die Kasse ist gesperrt: bitte zuerst anmelden.</translation>
    </message>
    <message>
        <source>Purchase ({currency})</source>
        <translation>Einkauf ({currency})</translation>
    </message>
    <message>
        <source>Receipt or order number</source>
        <translation>Beleg- oder Bestellnummer</translation>
    </message>
    <message>
        <source>Order reference</source>
        <translation>Belegnummer</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>Punkte</translation>
    </message>
    <message>
        <source>Below the minimum purchase of {minimum}: no points.</source>
        <translation>Unter dem Mindesteinkauf von {minimum}: keine Punkte.</translation>
    </message>
    <message>
        <source>Type the purchase amount.</source>
        <translation>Geben Sie den Einkaufsbetrag ein.</translation>
    </message>
    <message>
        <source>The manager types their PIN to approve this purchase.</source>
        <translation>Die Leitung gibt ihre PIN ein, um diesen Einkauf freizugeben.</translation>
    </message>
    <message>
        <source>{amount} is above this till&apos;s limit of {limit}. Check the amount; if it is right, a manager approves it with their PIN.</source>
        <translation>{amount} liegt über der Grenze dieser Kasse von {limit}. Prüfen Sie den Betrag; stimmt er, gibt die Leitung ihn mit ihrer PIN frei.</translation>
    </message>
    <message>
        <source>The manager types their PIN to approve this redemption.</source>
        <translation>Die Leitung gibt ihre PIN ein, um diese Einlösung freizugeben.</translation>
    </message>
    <message>
        <source>Redeem a reward</source>
        <translation>Prämie einlösen</translation>
    </message>
    <message>
        <source>{points} on the card</source>
        <translation>{points} auf der Karte</translation>
    </message>
    <message>
        <source>{text} — needs {count} more points</source>
        <translation>{text} — es fehlen {count} Punkte</translation>
    </message>
    <message>
        <source>Not enough points: needs {count} more.</source>
        <translation>Nicht genug Punkte: es fehlen {count}.</translation>
    </message>
    <message>
        <source>No reward is affordable with this card&apos;s points yet.</source>
        <translation>Mit den Punkten dieser Karte reicht es noch für keine Prämie.</translation>
    </message>
    <message>
        <source>Pick a reward the card can afford.</source>
        <translation>Wählen Sie eine Prämie, für die die Punkte reichen.</translation>
    </message>
    <message>
        <source>Enrol a new card</source>
        <translation>Neue Karte anlegen</translation>
    </message>
    <message>
        <source>Card number</source>
        <translation>Kartennummer</translation>
    </message>
    <message>
        <source>Customer name</source>
        <translation>Kundenname</translation>
    </message>
    <message>
        <source>Email (optional)</source>
        <translation>E-Mail (freiwillig)</translation>
    </message>
    <message>
        <source>Phone (optional)</source>
        <translation>Telefon (freiwillig)</translation>
    </message>
    <message>
        <source>Welcome bonus: {points}</source>
        <translation>Willkommensbonus: {points}</translation>
    </message>
    <message>
        <source>No welcome bonus in this programme.</source>
        <translation>Dieses Programm hat keinen Willkommensbonus.</translation>
    </message>
    <message>
        <source>Scan or type the new card&apos;s number.</source>
        <translation>Scannen oder tippen Sie die Nummer der neuen Karte.</translation>
    </message>
    <message>
        <source>{action} (Enter)</source>
        <translation>{action} (Enter)</translation>
    </message>
    <message>
        <source>Set up this till</source>
        <translation>Diese Kasse einrichten</translation>
    </message>
    <message>
        <source>Type the server address and the enrolment code head office gave you. The till then downloads the programme, the staff and the cards.</source>
        <translation>Geben Sie die Serveradresse und den Anmeldecode der Zentrale ein. Die Kasse lädt dann das Programm, das Personal und die Karten.</translation>
    </message>
    <message>
        <source>Connect this till</source>
        <translation>Kasse verbinden</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>Serveradresse</translation>
    </message>
    <message>
        <source>Enrolment code</source>
        <translation>Anmeldecode</translation>
    </message>
    <message>
        <source>Name of this till</source>
        <translation>Name dieser Kasse</translation>
    </message>
    <message>
        <source>The server address starts with https:// (or http://).</source>
        <translation>Die Serveradresse beginnt mit https:// (oder http://).</translation>
    </message>
    <message>
        <source>Type the enrolment code.</source>
        <translation>Geben Sie den Anmeldecode ein.</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Verbinde…</translation>
    </message>
    <message>
        <source>Unknown staff member</source>
        <translation>Unbekannte Person</translation>
    </message>
    <message>
        <source>This staff member cannot work at this shop.</source>
        <translation>Diese Person darf in dieser Filiale nicht kassieren.</translation>
    </message>
    <message>
        <source>Staff member inactive</source>
        <translation>Person deaktiviert</translation>
    </message>
    <message>
        <source>This staff member has been deactivated.</source>
        <translation>Diese Person wurde deaktiviert.</translation>
    </message>
    <message>
        <source>Till not set up</source>
        <translation>Kasse nicht eingerichtet</translation>
    </message>
    <message>
        <source>This till is not enrolled yet. Ask IT to enrol it.</source>
        <translation>Diese Kasse ist noch nicht angemeldet. Bitten Sie die IT, sie anzumelden.</translation>
    </message>
    <message>
        <source>No loyalty programme yet</source>
        <translation>Noch kein Treueprogramm</translation>
    </message>
    <message>
        <source>The programme has not been downloaded yet. Connect the till to the server once.</source>
        <translation>Das Programm wurde noch nicht geladen. Verbinden Sie die Kasse einmal mit dem Server.</translation>
    </message>
    <message>
        <source>Invalid input</source>
        <translation>Ungültige Eingabe</translation>
    </message>
    <message>
        <source>A card number is 1 to 32 letters, digits or dashes.</source>
        <translation>Eine Kartennummer hat 1 bis 32 Buchstaben, Ziffern oder Bindestriche.</translation>
    </message>
    <message>
        <source>An order reference is 1 to 100 characters.</source>
        <translation>Eine Belegnummer hat 1 bis 100 Zeichen.</translation>
    </message>
    <message>
        <source>A reason is at most 1000 characters.</source>
        <translation>Ein Grund hat höchstens 1000 Zeichen.</translation>
    </message>
    <message>
        <source>Name up to 200 characters, email up to 254, phone up to 32.</source>
        <translation>Name bis 200 Zeichen, E-Mail bis 254, Telefon bis 32.</translation>
    </message>
    <message>
        <source>The purchase amount must be between 0 and 10,000,000.00.</source>
        <translation>Der Einkaufsbetrag muss zwischen 0 und 10.000.000,00 liegen.</translation>
    </message>
    <message>
        <source>Log in first.</source>
        <translation>Bitte zuerst anmelden.</translation>
    </message>
    <message>
        <source>That reward is not in the programme.</source>
        <translation>Diese Prämie gibt es im Programm nicht.</translation>
    </message>
    <message>
        <source>That amount is out of range.</source>
        <translation>Dieser Betrag liegt außerhalb des Erlaubten.</translation>
    </message>
    <message>
        <source>That email address is not valid (it looks like name@example.com).</source>
        <translation>Diese E-Mail-Adresse ist ungültig (sie sieht aus wie name@beispiel.de).</translation>
    </message>
    <message>
        <source>That phone number is not valid: digits, spaces, + ( ) - . / only, at least 5 digits.</source>
        <translation>Diese Telefonnummer ist ungültig: nur Ziffern, Leerzeichen, + ( ) - . /, mindestens 5 Ziffern.</translation>
    </message>
    <message>
        <source>Nothing to export</source>
        <translation>Nichts zu exportieren</translation>
    </message>
    <message>
        <source>Every transaction of this till has been synced.</source>
        <translation>Alle Buchungen dieser Kasse sind synchronisiert.</translation>
    </message>
    <message>
        <source>The till cannot open its ledger</source>
        <translation>Die Kasse kann ihr Journal nicht öffnen</translation>
    </message>
    <message>
        <source>Ask IT to check the till&apos;s data folder (the log has the details).</source>
        <translation>Bitten Sie die IT, den Datenordner der Kasse zu prüfen (Einzelheiten im Protokoll).</translation>
    </message>
    <message>
        <source>This till is not allowed to sync</source>
        <translation>Diese Kasse darf nicht synchronisieren</translation>
    </message>
    <message>
        <source>Head office revoked this till. Ask them to enrol it again.</source>
        <translation>Die Zentrale hat diese Kasse gesperrt. Bitten Sie sie, die Kasse neu anzumelden.</translation>
    </message>
    <message>
        <source>The server does not know this till&apos;s token. Ask head office to enrol it again.</source>
        <translation>Der Server kennt den Schlüssel dieser Kasse nicht. Bitten Sie die Zentrale, sie neu anzumelden.</translation>
    </message>
    <message>
        <source>Enrolment refused</source>
        <translation>Anmeldung abgelehnt</translation>
    </message>
    <message>
        <source>The enrolment code is unknown, already used or expired. Ask head office for a new one.</source>
        <translation>Der Anmeldecode ist unbekannt, schon benutzt oder abgelaufen. Bitten Sie die Zentrale um einen neuen.</translation>
    </message>
    <message>
        <source>Another sync is running</source>
        <translation>Eine andere Synchronisierung läuft</translation>
    </message>
    <message>
        <source>This till is already syncing; try again shortly.</source>
        <translation>Diese Kasse synchronisiert gerade; gleich noch einmal versuchen.</translation>
    </message>
    <message>
        <source>This till is not enrolled</source>
        <translation>Diese Kasse ist nicht angemeldet</translation>
    </message>
    <message>
        <source>The demo could not start</source>
        <translation>Die Demo konnte nicht starten</translation>
    </message>
    <message>
        <source>The demo data could not be created. See the log for details.</source>
        <translation>Die Demodaten konnten nicht erstellt werden. Einzelheiten im Protokoll.</translation>
    </message>
    <message>
        <source>The demo server did not start in time.</source>
        <translation>Der Demoserver ist nicht rechtzeitig gestartet.</translation>
    </message>
    <message>
        <source>That PIN is not right. 1 attempt left.</source>
        <translation>Diese PIN stimmt nicht. Noch 1 Versuch.</translation>
    </message>
    <message>
        <source>That PIN is not right. {count} attempts left.</source>
        <translation>Diese PIN stimmt nicht. Noch {count} Versuche.</translation>
    </message>
    <message>
        <source>Wrong PIN</source>
        <translation>Falsche PIN</translation>
    </message>
    <message>
        <source>Not allowed</source>
        <translation>Nicht erlaubt</translation>
    </message>
    <message>
        <source>This is not allowed.</source>
        <translation>Das ist nicht erlaubt.</translation>
    </message>
    <message>
        <source>The till&apos;s clock is wrong</source>
        <translation>Die Uhr der Kasse geht falsch</translation>
    </message>
    <message>
        <source>It is {offset}. Nothing can be recorded until it is set right (ask IT to set the date, time and time zone).</source>
        <translation>Sie liegt {offset}. Bis sie richtig gestellt ist, kann nichts gebucht werden (bitten Sie die IT, Datum, Uhrzeit und Zeitzone zu stellen).</translation>
    </message>
    <message>
        <source>The server answered {status} {code}: {detail}</source>
        <translation>Der Server antwortete {status} {code}: {detail}</translation>
    </message>
    <message>
        <source>Sync failed</source>
        <translation>Synchronisierung fehlgeschlagen</translation>
    </message>
    <message>
        <source>Locked out</source>
        <translation>Gesperrt</translation>
    </message>
    <message>
        <source>Too many wrong PINs. Try again after {time}.</source>
        <translation>Zu viele falsche PINs. Erneut versuchen nach {time}.</translation>
    </message>
    <message>
        <source>Session locked</source>
        <translation>Sitzung gesperrt</translation>
    </message>
    <message>
        <source>Too many wrong PINs in this session. The till locks; you can sign in again after {time}, or a manager can unlock you sooner.</source>
        <translation>Zu viele falsche PINs in dieser Sitzung. Die Kasse sperrt; Sie können sich nach {time} wieder anmelden, oder die Leitung entsperrt Sie früher.</translation>
    </message>
    <message>
        <source>A manager must approve this</source>
        <translation>Die Leitung muss das freigeben</translation>
    </message>
    <message>
        <source>The purchase is above this till&apos;s limit; a manager approves it with their PIN.</source>
        <translation>Der Einkauf liegt über der Grenze dieser Kasse; die Leitung gibt ihn mit ihrer PIN frei.</translation>
    </message>
    <message>
        <source>Not covered: a manager must approve</source>
        <translation>Nicht abgedeckt: die Leitung muss freigeben</translation>
    </message>
    <message>
        <source>The till is offline and this redemption is beyond the card&apos;s offline allowance: the server may refuse it later. A manager approves it with their PIN.</source>
        <translation>Die Kasse ist offline und diese Einlösung übersteigt das Offline-Kontingent der Karte: Der Server kann sie später ablehnen. Die Leitung gibt sie mit ihrer PIN frei.</translation>
    </message>
    <message>
        <source>Not covered offline</source>
        <translation>Offline nicht abgedeckt</translation>
    </message>
    <message>
        <source>The till is offline and this redemption is beyond the card&apos;s offline allowance. The programme allows only covered redemptions offline: redeem when the till is online again.</source>
        <translation>Die Kasse ist offline und diese Einlösung übersteigt das Offline-Kontingent der Karte. Das Programm erlaubt offline nur abgedeckte Einlösungen: Lösen Sie ein, wenn die Kasse wieder online ist.</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>Nicht gefunden</translation>
    </message>
    <message>
        <source>That was not found on this till.</source>
        <translation>Das wurde auf dieser Kasse nicht gefunden.</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>The server cannot be reached now. The till keeps working and syncs when it can.</source>
        <translation>Der Server ist gerade nicht erreichbar. Die Kasse arbeitet weiter und synchronisiert, sobald sie kann.</translation>
    </message>
    <message>
        <source>This till is already enrolled</source>
        <translation>Diese Kasse ist bereits angemeldet</translation>
    </message>
    <message>
        <source>It syncs as another device; use a fresh data folder to enrol it again.</source>
        <translation>Sie synchronisiert als anderes Gerät; für eine neue Anmeldung einen leeren Datenordner verwenden.</translation>
    </message>
    <message>
        <source>Stamp added</source>
        <translation>Stempel gegeben</translation>
    </message>
    <message>
        <source>Stamps redeemed</source>
        <translation>Stempel eingelöst</translation>
    </message>
    <message>
        <source>Stamp voided</source>
        <translation>Stempel storniert</translation>
    </message>
    <message>
        <source>Points earned</source>
        <translation>Punkte gesammelt</translation>
    </message>
    <message>
        <source>Reward redeemed</source>
        <translation>Prämie eingelöst</translation>
    </message>
    <message>
        <source>Points voided</source>
        <translation>Punkte storniert</translation>
    </message>
    <message>
        <source>Stamps adjusted</source>
        <translation>Stempel korrigiert</translation>
    </message>
    <message>
        <source>Points adjusted</source>
        <translation>Punkte korrigiert</translation>
    </message>
    <message>
        <source>Card enrolled</source>
        <translation>Karte angelegt</translation>
    </message>
    <message>
        <source>Card deactivated</source>
        <translation>Karte deaktiviert</translation>
    </message>
    <message>
        <source>Card reactivated</source>
        <translation>Karte reaktiviert</translation>
    </message>
    <message>
        <source>Welcome bonus</source>
        <translation>Willkommensbonus</translation>
    </message>
    <message>
        <source>Points expired</source>
        <translation>Punkte verfallen</translation>
    </message>
    <message>
        <source>Waiting to sync</source>
        <translation>Wartet auf Sync</translation>
    </message>
    <message>
        <source>Accepted</source>
        <translation>Angenommen</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>Abgelehnt</translation>
    </message>
    <message>
        <source>staff</source>
        <translation>Mitarbeiter</translation>
    </message>
    <message>
        <source>store manager</source>
        <translation>Filialleitung</translation>
    </message>
    <message>
        <source>owner</source>
        <translation>Inhaber</translation>
    </message>
    <message>
        <source>reason:duplicate_id</source>
        <translation>Diese Buchung wurde bereits von einer anderen Kasse erfasst.</translation>
    </message>
    <message>
        <source>reason:sequence_reused</source>
        <translation>Die Kasse hat eine Laufnummer doppelt vergeben; bitten Sie die IT, die Kasse zu prüfen.</translation>
    </message>
    <message>
        <source>reason:unknown_card</source>
        <translation>Diese Karte ist unbekannt. Nummer prüfen oder die Karte zuerst anlegen.</translation>
    </message>
    <message>
        <source>reason:card_number_taken</source>
        <translation>Eine Karte mit dieser Nummer gibt es schon.</translation>
    </message>
    <message>
        <source>reason:unknown_staff</source>
        <translation>Diese Person darf in dieser Filiale nicht kassieren.</translation>
    </message>
    <message>
        <source>reason:not_permitted</source>
        <translation>Ihre Rolle erlaubt das nicht. Fragen Sie die Filialleitung oder den Inhaber.</translation>
    </message>
    <message>
        <source>reason:not_in_program</source>
        <translation>Das Treueprogramm bietet das nicht an.</translation>
    </message>
    <message>
        <source>reason:card_inactive</source>
        <translation>Diese Karte ist deaktiviert.</translation>
    </message>
    <message>
        <source>reason:card_active</source>
        <translation>Diese Karte ist bereits aktiv.</translation>
    </message>
    <message>
        <source>reason:invalid_delta</source>
        <translation>Dieser Betrag ist für diese Aktion nicht erlaubt.</translation>
    </message>
    <message>
        <source>reason:reason_required</source>
        <translation>Bitte einen Grund für die Korrektur angeben.</translation>
    </message>
    <message>
        <source>reason:unknown_reward</source>
        <translation>Diese Prämie gibt es im Programm nicht (oder ihr Preis hat sich geändert).</translation>
    </message>
    <message>
        <source>reason:invalid_points</source>
        <translation>Die Punkte passen nicht zum Einkauf (oder er liegt unter dem Mindestbetrag).</translation>
    </message>
    <message>
        <source>reason:duplicate_order_reference</source>
        <translation>Für diesen Beleg wurden bereits Punkte vergeben.</translation>
    </message>
    <message>
        <source>reason:daily_stamp_limit</source>
        <translation>Diese Karte hat heute schon alle erlaubten Stempel bekommen.</translation>
    </message>
    <message>
        <source>reason:invalid_welcome_bonus</source>
        <translation>Der Willkommensbonus wurde schon vergeben oder wird nicht angeboten.</translation>
    </message>
    <message>
        <source>reason:unknown_related_transaction</source>
        <translation>Der zu stornierende Einkauf wurde auf dieser Karte nicht gefunden.</translation>
    </message>
    <message>
        <source>reason:already_voided</source>
        <translation>Dieser Einkauf wurde bereits (ganz oder teilweise) storniert.</translation>
    </message>
    <message>
        <source>reason:insufficient_points</source>
        <translation>Nicht genug Punkte auf der Karte.</translation>
    </message>
    <message>
        <source>reason:insufficient_stamps</source>
        <translation>Nicht genug Stempel auf der Karte.</translation>
    </message>
    <message>
        <source>reason:invalid_transaction_at</source>
        <translation>Die Uhr der Kasse ging falsch, als dies erfasst wurde; bitten Sie die IT, sie zu stellen.</translation>
    </message>
    <message>
        <source>never</source>
        <translation>nie</translation>
    </message>
    <message>
        <source>d MMM</source>
        <translation>d. MMM</translation>
    </message>
    <message>
        <source>just now</source>
        <translation>gerade eben</translation>
    </message>
    <message>
        <source>{count} min</source>
        <translation>{count} Min.</translation>
    </message>
    <message>
        <source>{count} h</source>
        <translation>{count} Std.</translation>
    </message>
    <message>
        <source>{count} days</source>
        <translation>{count} Tage</translation>
    </message>
    <message>
        <source>{count} hours</source>
        <translation>{count} Stunden</translation>
    </message>
    <message>
        <source>{count} minutes</source>
        <translation>{count} Minuten</translation>
    </message>
    <message>
        <source>{amount} ahead of the server&apos;s clock</source>
        <translation>{amount} vor der Serverzeit</translation>
    </message>
    <message>
        <source>{amount} behind the server&apos;s clock</source>
        <translation>{amount} hinter der Serverzeit</translation>
    </message>
    <message>
        <source>{count} stamp</source>
        <translation>{count} Stempel</translation>
    </message>
    <message>
        <source>{count} stamps</source>
        <translation>{count} Stempel</translation>
    </message>
    <message>
        <source>{points} and {stamps}</source>
        <translation>{points} und {stamps}</translation>
    </message>
    <message>
        <source>Covered offline: up to {amount} until {time}</source>
        <translation>Offline abgedeckt: bis zu {amount}, gültig bis {time}</translation>
    </message>
    <message>
        <source>Online: checked by the server</source>
        <translation>Online: Der Server prüft</translation>
    </message>
    <message>
        <source>Not covered offline: redeem when the till is online again</source>
        <translation>Offline nicht abgedeckt: einlösen, wenn die Kasse wieder online ist</translation>
    </message>
    <message>
        <source>Not covered: the server may refuse this</source>
        <translation>Nicht abgedeckt: Der Server kann das ablehnen</translation>
    </message>
    <message>
        <source>Covered: within the card&apos;s offline allowance (until {time}).</source>
        <translation>Abgedeckt: im Offline-Kontingent der Karte (bis {time}).</translation>
    </message>
    <message>
        <source>Online: the server checks this redemption now.</source>
        <translation>Online: Der Server prüft diese Einlösung sofort.</translation>
    </message>
    <message>
        <source>Not covered offline: the programme allows only redemptions within the card&apos;s offline allowance while the till is offline. Redeem when it is online again.</source>
        <translation>Offline nicht abgedeckt: Solange die Kasse offline ist, erlaubt das Programm nur Einlösungen im Offline-Kontingent der Karte. Lösen Sie ein, wenn sie wieder online ist.</translation>
    </message>
    <message>
        <source>Not covered: the till is offline and this is beyond the card&apos;s offline allowance, so the server may refuse it later. A manager approves it with their PIN.</source>
        <translation>Nicht abgedeckt: Die Kasse ist offline und dies übersteigt das Offline-Kontingent der Karte, daher kann der Server es später ablehnen. Die Leitung gibt es mit ihrer PIN frei.</translation>
    </message>
    <message>
        <source>Covered: the server accepts a redemption within this till&apos;s allowance on the card, even offline. Not covered: offline, the server may refuse it after the customer has gone; a manager approves it.</source>
        <translation>Abgedeckt: Eine Einlösung im Kontingent dieser Kasse auf der Karte nimmt der Server an, auch offline. Nicht abgedeckt: Offline kann der Server sie ablehnen, wenn der Kunde schon gegangen ist; die Leitung gibt sie frei.</translation>
    </message>
    <message>
        <source>{count} point</source>
        <translation>{count} Punkt</translation>
    </message>
    <message>
        <source>{count} points</source>
        <translation>{count} Punkte</translation>
    </message>
    <message>
        <source>(order {reference})</source>
        <translation>(Beleg {reference})</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Wann</translation>
    </message>
    <message>
        <source>What</source>
        <translation>Was</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>Änderung</translation>
    </message>
    <message>
        <source>Sync</source>
        <translation>Sync</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>Wo</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>Karte</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Warum</translation>
    </message>
    <message>
        <source>Card history</source>
        <translation>Kartenverlauf</translation>
    </message>
    <message>
        <source>This till</source>
        <translation>Diese Kasse</translation>
    </message>
    <message>
        <source>This store</source>
        <translation>Diese Filiale</translation>
    </message>
    <message>
        <source>Another store</source>
        <translation>Andere Filiale</translation>
    </message>
    <message>
        <source>Head office</source>
        <translation>Zentrale</translation>
    </message>
    <message>
        <source>No rejected transactions.</source>
        <translation>Keine abgelehnten Buchungen.</translation>
    </message>
    <message>
        <source>Rejected transactions</source>
        <translation>Abgelehnte Buchungen</translation>
    </message>
    <message>
        <source>Acknowledge (Ctrl+K)</source>
        <translation>Gesehen (Strg+K)</translation>
    </message>
    <message>
        <source>1 rejected transaction to review.</source>
        <translation>1 abgelehnte Buchung zu prüfen.</translation>
    </message>
    <message>
        <source>{count} rejected transactions to review.</source>
        <translation>{count} abgelehnte Buchungen zu prüfen.</translation>
    </message>
    <message>
        <source>The customer&apos;s card shows the server&apos;s balance.</source>
        <translation>Die Karte des Kunden zeigt den Stand des Servers.</translation>
    </message>
    <message>
        <source>Transactions</source>
        <translation>Buchungen</translation>
    </message>
    <message>
        <source>Stamps given (net of voids)</source>
        <translation>Stempel gegeben (abzüglich Stornos)</translation>
    </message>
    <message>
        <source>Stamps voided</source>
        <translation>Stempel storniert</translation>
    </message>
    <message>
        <source>Points given (net of voids)</source>
        <translation>Punkte gegeben (abzüglich Stornos)</translation>
    </message>
    <message>
        <source>Points redeemed</source>
        <translation>Punkte eingelöst</translation>
    </message>
    <message>
        <source>Rewards redeemed</source>
        <translation>Prämien eingelöst</translation>
    </message>
    <message>
        <source>Voids</source>
        <translation>Stornos</translation>
    </message>
    <message>
        <source>Rejected by the server</source>
        <translation>Vom Server abgelehnt</translation>
    </message>
    <message>
        <source>Today at this till — {day}</source>
        <translation>Heute an dieser Kasse — {day}</translation>
    </message>
    <message>
        <source>Too many wrong PINs. Try again in 1 minute (after {time}).</source>
        <translation>Zu viele falsche PINs. Erneut versuchen in 1 Minute (nach {time}).</translation>
    </message>
    <message>
        <source>Too many wrong PINs. Try again in {minutes} minutes (after {time}).</source>
        <translation>Zu viele falsche PINs. Erneut versuchen in {minutes} Minuten (nach {time}).</translation>
    </message>
    <message>
        <source>Loyalty till</source>
        <translation>Treuekasse</translation>
    </message>
    <message>
        <source>Who is at the till? Pick your name.</source>
        <translation>Wer ist an der Kasse? Wählen Sie Ihren Namen.</translation>
    </message>
    <message>
        <source>Waiting for the staff list from the server…</source>
        <translation>Warte auf die Personalliste vom Server…</translation>
    </message>
    <message>
        <source>Pick your name</source>
        <translation>Namen wählen</translation>
    </message>
    <message>
        <source>Sign in as {name}</source>
        <translation>Als {name} anmelden</translation>
    </message>
    <message>
        <source>{name}, type your PIN</source>
        <translation>{name}, bitte PIN eingeben</translation>
    </message>
    <message>
        <source>Demo PINs — {pins}</source>
        <translation>Demo-PINs — {pins}</translation>
    </message>
    <message>
        <source>Pick your name first.</source>
        <translation>Wählen Sie zuerst Ihren Namen.</translation>
    </message>
    <message>
        <source>Type your PIN.</source>
        <translation>Geben Sie Ihre PIN ein.</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>Prüfe…</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>Sperren</translation>
    </message>
    <message>
        <source>Something went wrong</source>
        <translation>Etwas ist schiefgegangen</translation>
    </message>
    <message>
        <source>Something went wrong; the transaction was not recorded. Please try again.</source>
        <translation>Etwas ist schiefgegangen; die Buchung wurde nicht erfasst. Bitte noch einmal versuchen.</translation>
    </message>
    <message>
        <source>Unlock a colleague</source>
        <translation>Kollegen entsperren</translation>
    </message>
    <message>
        <source>Locked-out staff</source>
        <translation>Gesperrtes Personal</translation>
    </message>
    <message>
        <source>They can sign in at once; the till keeps who unlocked whom.</source>
        <translation>Sie können sich sofort anmelden; die Kasse hält fest, wer wen entsperrt hat.</translation>
    </message>
    <message>
        <source>Unlock (Enter)</source>
        <translation>Entsperren (Enter)</translation>
    </message>
    <message>
        <source>{name} ({role}) — locked until {time}</source>
        <translation>{name} ({role}) — gesperrt bis {time}</translation>
    </message>
    <message>
        <source>Nobody is locked out at this till.</source>
        <translation>An dieser Kasse ist niemand gesperrt.</translation>
    </message>
    <message>
        <source>Pick the colleague to unlock.</source>
        <translation>Wählen Sie, wen Sie entsperren.</translation>
    </message>
    <message>
        <source>{name} can sign in again.</source>
        <translation>{name} kann sich wieder anmelden.</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>Online</translation>
    </message>
    <message>
        <source>will retry at {time}</source>
        <translation>neuer Versuch um {time}</translation>
    </message>
    <message>
        <source>Offline since {time}</source>
        <translation>Offline seit {time}</translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>Synchronisiere…</translation>
    </message>
    <message>
        <source>Sync problem: {message}</source>
        <translation>Sync-Problem: {message}</translation>
    </message>
    <message>
        <source>Sync problem</source>
        <translation>Sync-Problem</translation>
    </message>
    <message>
        <source>Not syncing: {message}</source>
        <translation>Kein Sync: {message}</translation>
    </message>
    <message>
        <source>Not syncing</source>
        <translation>Kein Sync</translation>
    </message>
    <message>
        <source>Clock {offset}: recording paused until IT sets it</source>
        <translation>Uhr {offset}: Buchen angehalten, bis die IT sie stellt</translation>
    </message>
    <message>
        <source>Clock {offset}: ask IT to set it</source>
        <translation>Uhr {offset}: die IT soll sie stellen</translation>
    </message>
    <message>
        <source>Last sync {time}</source>
        <translation>Letzter Sync {time}</translation>
    </message>
    <message>
        <source>Never synced</source>
        <translation>Nie synchronisiert</translation>
    </message>
    <message>
        <source>{count} rejected</source>
        <translation>{count} abgelehnt</translation>
    </message>
    <message>
        <source>Redemptions recorded here and not yet synced. Covered: within an offline allowance, the server accepts them. At risk: the server may still refuse them.</source>
        <translation>Hier erfasste, noch nicht synchronisierte Einlösungen. Abgedeckt: im Offline-Kontingent, der Server nimmt sie an. Mit Risiko: Der Server kann sie noch ablehnen.</translation>
    </message>
    <message>
        <source>{count} covered</source>
        <translation>{count} abgedeckt</translation>
    </message>
    <message>
        <source>{count} at risk</source>
        <translation>{count} mit Risiko</translation>
    </message>
    <message>
        <source>Redemptions: {counts}</source>
        <translation>Einlösungen: {counts}</translation>
    </message>
    <message>
        <source>All synced</source>
        <translation>Alles synchronisiert</translation>
    </message>
    <message>
        <source>{count} waiting to sync</source>
        <translation>{count} warten auf Sync</translation>
    </message>
    <message>
        <source>(oldest {age})</source>
        <translation>(älteste {age})</translation>
    </message>
    <message>
        <source>Transactions the server refused: a manager reviews them (Ctrl+R).</source>
        <translation>Vom Server abgelehnte Buchungen: die Leitung prüft sie (Strg+R).</translation>
    </message>
    <message>
        <source>Sync now  Ctrl+S</source>
        <translation>Jetzt syncen  Strg+S</translation>
    </message>
    <message>
        <source>Offline: trying the server now…</source>
        <translation>Offline: versuche den Server jetzt…</translation>
    </message>
    <message>
        <source>Stamp card</source>
        <translation>Stempelkarte</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Enter</source>
        <translation>Eingabe</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <source>Starting the demo server…</source>
        <translation>Der Demoserver startet…</translation>
    </message>
</context>
</TS>
