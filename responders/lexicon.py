"""Word lists for the analyser: Dutch and English, written for webcare (not learnt), so explainable."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _scored(groups: dict[float, str]) -> dict[str, float]:
    return {word: score for score, text in groups.items() for word in text.split()}


STOPWORDS: dict[str, frozenset[str]] = {
    "nl": _words(
        "de het een en van ik je jij u uw is niet dat die wat er op te met voor zijn maar ook al nog"
        " wel geen mijn bij naar als dan om hoe waar wanneer waarom kan kun kunnen heb hebben ben was"
        " wordt worden moet mag zou zo nu dit deze ze we wij jullie hun heel erg echt bestelling"
        " bezorging wijn fles flessen dank bedankt hallo hoi graag alvast weer gewoon toch mn m'n"
        " heeft hebt ook zijn waren werd welke bent dus omdat want nooit meer veel goed leuk lekker"
        " mij me ons onze jou hij zij hem haar wie waarvoor daar hier vandaag morgen gisteren"
        " doe doen krijg krijgen zit zitten staat komt komen gaat gaan ga kun bestellen betalen"
        " ontvangen pakket verzending levering terug sturen hoeveel kost vanaf tot uur dag dagen"
    ),
    "en": _words(
        "the a an and of i you your is not that this what there on in to with for be are but also"
        " still no my at as than how where when why can could have has was were will would should"
        " do does did it its we they them our their very really order delivery wine bottle thanks"
        " thank hello hi please again just get got been any me us he she him her who which from"
        " about into out up today tomorrow yesterday ship shipping buy pay paid received package"
        " parcel send return much many long it's i'm don't can't won't didn't isn't doesn't you're"
        " guys anyone does love great good bad"
    ),
}

# Function words of the languages customers of a Dutch brand write in next: they make a short
# German, French or Spanish message read as that language instead of the community's default. Written without
# diacritics, as analysis.words() reads them ("für" -> "fur"); words these languages share with
# Dutch or English ("die", "was", "wie", "de", "en", "no", "al", "plus") are left out.
OTHER_STOPWORDS: dict[str, frozenset[str]] = {
    "de": _words(
        "und ist nicht ich der das mit auf fur ein eine einen einem einer zu von sich auch es wir ihr"
        " mein meine meinen meiner bitte danke sind habe haben hat kann konnen nach noch schon sehr"
        " wurde werden mir mich dich dir euch uber aber oder wenn weil dass wo warum wann heute"
        " gestern bestellung lieferung paket zuruck leider guten tag seit woche immer nichts vielen gut"
        " schnell schnelle wieder gruss grusse freundlichen dauert kommt erhalten angekommen bekommen"
        " geht gibt deutschland"
    ),
    "fr": _words(
        "tu il elle nous vous ils le les et est pas une des du au aux que qui pour dans ce cette"
        " avec sur mon ma mes ne bonjour merci commande livraison colis pourquoi quand ou tres mais"
        " suis avez avoir ete toujours rien recu votre vos"
    ),
    "es": _words(
        "el los las y es que por para con una mi mis su pero muy gracias hola pedido envio esta estoy"
        " tengo tiene hay cuando donde porque como tambien ya del lo se todavia nada recibido"
    ),
}

# polarity in [-1, 1] of a word as customers use it; phrases below override single words
LEXICON: dict[str, float] = _scored(
    {
        0.9: "geweldig fantastisch heerlijk perfect uitstekend voortreffelijk subliem fenomenaal"
        " overheerlijk topniveau gorgeous excellent amazing awesome fantastic perfect outstanding"
        " superb wonderful brilliant delicious loved adore",
        0.8: "top topper super aanrader toppers prachtig schitterend genieten genoten love great"
        " enjoyable amazin veelbelovend best beautiful impressive",
        0.7: "lekker blij tevreden vriendelijk gezellig smaakvol sfeervol mooi attent happy pleased"
        " voldaan liked ideal pleased lovely tasty friendly helpful enjoyed enjoy glad satisfied"
        " recommended",
        0.6: "goed fijn leuk vlot behulpzaam correct verzorgd kwaliteitsvol goede vers verse nice"
        " geslaagd verrassend unbelievable authentic good fresh fun cool professional",
        0.4: "prima snel bedankt dank netjes redelijk aangenaam thanks fast quick fine ok okay decent"
        " beter glimlach crispy surprise romantic worth pleasant",
        0.3: "interessant smooth",
        -0.3: "wachten wacht matig duur jammer helaas nergens waiting pricey meh",
        -0.4: "traag langzaam koud lauw klein beperkt niks stuk zuur droog taai zout slow cold bland"
        " nadeel drawback skip joke warn overpriced expensive small tiny unfortunately sadly",
        -0.5: "kurk kwijt nooit missing lost late damaged sick tired vergeten forgotten",
        -0.6: "kapot gebroken klacht verkeerd vervelend teleurstelling ongezellig onvriendelijk broken"
        " complaint wrong corked sucks fail failed problem issue",
        -0.7: "slecht vies irritant smakeloos bad poor annoying dirty nasty rude sad hate vuil vuilste"
        " slechtte mijden ondermaats onbeleefd unfriendly avoid",
        -0.8: "teleurgesteld teleurstellend boos belachelijk frustrerend bedorven onbeschoft gross"
        " unhappy miserable lousy toeristenval touristenval disappointed disappointing angry"
        " ridiculous frustrating useless unhelpful",
        -0.9: "waardeloos schandalig fraude verschrikkelijk vreselijk afschuwelijk slechtste repulsive"
        " terrible awful worst horrible unacceptable disgusting fraud pathetic",
        -1.0: "opgelicht oplichters oplichting scam scammed scammers",
        # pattern's sense "affected" is rare next to the participle "made" ("afspraak gemaakt"); in
        # customers' messages "naar" is "to" ("verzending naar België"), not "nasty", and "waar" is
        # "where"; the compound reader made "doordeweeks" (on weekdays) negative
        0.0: "gemaakt doordeweeks naar waar",
    }
) | _scored(
    # customer-care words missing from the general lexicons (pattern has only adjectives)
    {
        0.7: "toppie chapeau complimenten compliment dankjewel dankuwel smullen gesmuld deskundig"
        " klantvriendelijk",
        0.4: "opgelost fixed",
        -0.4: "balen baal zeuren wachttijd vertraging storing fouten probleem defect nep mislukt"
        " onbereikbaar ongeinteresseerd onverschillig delay canceled waited unreachable outage",
        -0.6: "beschadigd zonde afgezet afzetterij ellende drama ontgoochelend klantonvriendelijk"
        " overcharged ripoff nightmare",
    }
)

# multi-word expressions, matched on the normalised text before single words
PHRASE_LEXICON: dict[str, float] = {
    "te laat": -0.6,
    "too late": -0.5,
    "nooit meer": -0.9,
    "never again": -0.9,
    "never arrived": -0.8,
    "nog steeds niet": -0.7,
    "still not": -0.6,
    "still waiting": -0.7,
    "niet ontvangen": -0.6,
    "not received": -0.6,
    "geld terug": -0.4,
    "waste of": -0.8,
    "geen reactie": -0.6,
    "no response": -0.6,
    "nobody answers": -0.7,
    "niemand reageert": -0.7,
    "prijs kwaliteit": 0.6,
    "value for money": 0.6,
    "tip top": 0.9,
    "top service": 0.9,
    "klantenservice": -0.2,
    "customer service": -0.2,
    "can't wait": 0.7,
    "cannot wait": 0.7,
    "no problem": 0.3,
    "geen probleem": 0.3,
    "not bad": 0.4,
    "viel tegen": -0.7,
    "vielen tegen": -0.7,
    "duurde lang": -0.5,
    "duurde nogal lang": -0.5,
    "lang gewacht": -0.6,
    "lang wachten": -0.5,
    "zeker terug": 0.7,
    "tot gauw": 0.5,
    "will be back": 0.7,
    "would go back": 0.6,
    "go back again": 0.6,
    "don't bother": -0.7,
    "dont bother": -0.7,
    "waste your": -0.8,
    "never received": -0.6,
    "no apology": -0.6,
    "not enough": -0.4,
    "niet slecht": 0.4,
    "te gek": 0.8,  # Dutch for "brilliant", not "too crazy"
}

# words whose polarity does not count in these neighbourhoods ("tot hoe laat", "blijft goed")
NEUTRAL_CONTEXTS: tuple[str, ...] = (
    "hoe laat",
    "hoe lang",
    "how long",
    "blijft goed",
    "goed houden",
    "goed bewaren",
    "houdbaar",
    "laat weten",
    "laat me",
    "laat ons",
    "stay good",
    "keep good",
    "goed genoeg",
    "quick question",
    "snelle vraag",
    "korte vraag",
)

EMOJI: dict[str, float] = {
    "😀": 0.7,
    "😃": 0.7,
    "😊": 0.7,
    "🙂": 0.4,
    "😍": 0.9,
    "🥰": 0.9,
    "👍": 0.6,
    "👌": 0.6,
    "🙏": 0.4,
    "❤": 0.8,
    "🍷": 0.2,
    "🥂": 0.5,
    "🎉": 0.7,
    ":)": 0.5,
    ":-)": 0.5,
    ":D": 0.6,
    "😡": -0.9,
    "😠": -0.8,
    "🤬": -1.0,
    "😞": -0.6,
    "😢": -0.6,
    "😭": -0.6,
    "👎": -0.7,
    "🙄": -0.5,
    "😤": -0.7,
    ":(": -0.5,
    ":-(": -0.5,
    "💔": -0.6,
    # hands that greet or ask, whatever their descriptions score
    "👋": 0.0,
    "🤚": 0.0,
    "🙋": 0.0,
}

NEGATIONS = _words(
    "niet geen nooit niets niks nergens not no never don't didn't isn't wasn't doesn't aren't won't"
    " can't cannot nobody niemand zonder without nothing hardly nauwelijks"
    # VADER's list (vaderSentiment, MIT): spellings without apostrophe as typed on phones
    " aint arent cant couldnt didnt doesnt dont hadnt hasnt havent isnt neither none nope nor nowhere"
    " shouldnt wasnt werent wont wouldnt couldn't hadn't hasn't haven't shouldn't weren't wouldn't"
    " rarely seldom despite"
)
INTENSIFIERS: dict[str, float] = {
    "heel": 1.5,
    "erg": 1.5,
    "zeer": 1.6,
    "echt": 1.3,
    "super": 1.5,
    "zo": 1.3,
    "uiterst": 1.7,
    "ontzettend": 1.7,
    "enorm": 1.6,
    "uitzonderlijk": 1.6,
    "very": 1.5,
    "really": 1.3,
    "so": 1.3,
    "extremely": 1.8,
    "totally": 1.5,
    "totaal": 1.5,
    "absolutely": 1.6,
    "way": 1.3,
    "incredibly": 1.7,
    # degree words that soften ("a bit slow" is milder than "slow") or, like "nogal", add a little
    "beetje": 0.7,
    "enigszins": 0.7,
    "vrij": 0.85,
    "nogal": 1.1,
}
# VADER's degree adverbs (vaderSentiment, MIT), as a factor on the next word: its +-0.293 on a
# typical valence of 2; the list above overrides them
BOOSTERS_EN: dict[str, float] = {
    **dict.fromkeys(
        _words(
            "absolutely amazingly awfully completely considerably decidedly deeply entirely especially"
            " exceptionally extremely fully greatly highly hugely incredibly intensely majorly more most"
            " particularly purely quite remarkably substantially thoroughly totally tremendously utterly"
            " unbelievably unusually fucking freaking"
        ),
        1.15,
    ),
    **dict.fromkeys(
        _words(
            "almost barely hardly kinda less little marginally occasionally partly scarcely slightly"
            " somewhat sorta"
        ),
        0.85,
    ),
}
# English adjectives that "too" makes a complaint of (Dutch takes every adjective in pattern's lexicon)
EXCESS_ADJECTIVES_EN = _words(
    "much many long late slow expensive pricey high small big loud noisy busy crowded cold hot salty"
    " sweet dry greasy far short little few"
)
CONTRASTS = _words("maar but however echter though although alleen")

SIGNAL_PHRASES: dict[str, tuple[str, ...]] = {
    "legal_threat": (
        "advocaat", "rechtszaak", "juridisch", "consumentenbond", "aangifte", "ingebrekestelling",
        "geschillencommissie", "naar de rechter", "lawyer", "lawsuit", "legal action", "sue you",
        "solicitor", "attorney", "small claims", "take you to court",
    ),
    "churn_threat": (
        "nooit meer", "laatste keer", "ga ergens anders", "overstappen", "als klant kwijt",
        "never again", "last time i", "switching to", "cancel my", "lost a customer",
        "never ordering", "nooit meer bestellen", "stap ik over", "stap over naar", "ik ben er klaar mee",
        "ben er klaar mee", "was mijn laatste bestelling", "was echt mijn laatste", "ik zeg mijn",
        "done with you", "lost me as a customer", "i'm done with", "im done with", "taking my business",
        "ordering elsewhere", "elders bestellen", "ergens anders bestellen",
    ),
    "urgency": (
        "dringend", "spoed", "asap", "urgent", "vandaag nog", "nu meteen", "immediately",
        "right now", "vanavond nodig", "tonight", "zo snel mogelijk", "as soon as possible",
    ),
    "buying_intent": (
        "wil bestellen", "kopen", "aanraden", "welke wijn", "adviseren", "cadeau", "buy",
        "purchase", "recommend a", "recommend with", "looking for a", "which wine", "order some",
        "price of", "wat kost", "how much", "would you recommend", "op zoek naar", "in de aanbieding",
    ),
    "complaint": (
        "klacht", "kapot", "gebroken", "niet ontvangen", "nog steeds niet", "te laat", "verkeerde",
        "teleurgesteld", "complaint", "broken", "smashed", "not received", "still not",
        "never arrived", "wrong", "damaged", "kurk",
        "corked", "opgelicht", "scam",
        # a report that something went wrong, even without strong words ("nog steeds niet binnen")
        "nog niet binnen", "nog niets", "nog niks", "niet binnen",
        "niet aangekomen", "niet geleverd", "niet bezorgd", "komt niet aan", "kwam niet aan", "lekte",
        "lekt", "muf", "lukt niet", "werkt niet", "foutmelding", "kan niet meer", "niks ontvangen",
        "niets ontvangen", "geen antwoord", "geen reactie", "wacht al", "al weken", "al dagen",
        "derde keer", "tweede keer", "weer mis", "beschadigd", "verkeerde", "klopt niet", "ontbreekt",
        "ontbrak", "mist een", "miste", "teruggestuurd maar", "nooit thuisbezorgd", "waar blijft",
        "niks gehoord", "niets gehoord", "nog niks", "where is my", "heard nothing", "no word from",
        "gaat steeds mis", "blijft hangen", "keer geprobeerd", "dagen wachten", "weken wachten",
        "niemand liet", "die ik had besteld", "smaakt naar azijn", "azijn", "zonde van", "dubbel betaald",
        "2x geld", "twee keer geld", "twee keer afgeschreven", "nog steeds geen", "still no", "never got",
        "never received", "nobody answered", "no one answered", "nobody replied", "failed three",
        "failed twice", "failed again", "pending charge", "wet cardboard", "nat karton", "natte kelder",
        "1 ster", "2 sterren", "1 star", "2 stars",
        "still hasn't", "still haven't", "still not", "still no", "still waiting", "hasn't arrived",
        "has not arrived", "didn't arrive", "did not arrive", "never came", "not delivered", "leaking",
        "leaked", "doesn't work", "does not work", "not working", "error message", "can't log in",
        "cannot log in", "no answer", "no reply", "third time", "second time", "waited", "waiting for",
        "missing", "wrong", "was charged twice", "charged twice", "dubbel afgeschreven", "overcharged",
        # waiting for days is the commonest complaint, whatever the words around it
        "been waiting", "wacht nu al", "wachten nu al", "wacht nog steeds", "sta al dagen", "waiting on my",
        # the Dutch for "can't log in" and "no email came"
        "kan niet inloggen", "kan niet meer inloggen", "krijg geen mail", "krijg geen e-mail",
        "geen mail ontvangen", "geen e-mail ontvangen", "geen bevestiging ontvangen",
        # something that stopped working: how most reports of a fault read on social media
        "stopped working", "stop working", "stops working", "keeps crashing", "keeps freezing",
        "keeps failing", "freezes", "crashes", "won't load", "won't work", "won't let me",
        "not loading", "having issues", "having problems", "having trouble",
        "site is down", "website is down", "app is down", "internet is down", "service is down",
        "went down", "hour delay", "hours delay", "delayed again", "problem with", "problems with",
        "doet het niet", "werkt nog steeds niet", "loopt vast", "loopt steeds vast", "vastgelopen",
        "blijft vastlopen", "crasht", "blijft crashen", "storing", "ligt eruit", "ligt plat",
        "uur vertraging", "problemen met", "probleem met", "2x betaald", "twee keer betaald",
        "paid twice", "double charged", "charged me twice",
    ),
    "praise": (
        "geweldig", "top service", "bedankt", "dank je", "dank jullie", "aanrader", "heerlijk", "i love",
        "love your", "love the", "love this", "loved", "order again", "ordering again", "fab ",
        "bestel zeker weer", "zeker weer bestellen", "knaller",
        "great service", "thank you", "thanks", "amazing", "excellent", "super blij", "topservice",
        "shoutout", "shout out", "complimenten", "chapeau", "toppers", "fantastisch", "perfect",
        "super leuk", "echt top", "zijn top", "is top", "waren top", "great job", "well done",
        "legend", "brilliant", "5 sterren", "vijf sterren", "5 stars", "five stars", "merci voor",
        "top!", "a winner", "was perfect", "netjes opgelost", "super netjes", "thanks team",
        "super help", "great help", "so helpful", "very helpful", "in love with", "super geholpen",
        "top geholpen", "snel geholpen", "fijn geholpen",
    ),
    # the problem is solved: thanks for that is no complaint
    "resolved": (
        "opgelost", "oplossen van", "sorted my", "sorted it", "sorted out", "fixed it", "resolved",
        "de nieuwe is al binnen", "nieuwe fles was", "new bottle arrived", "replacement arrived",
        "problem solved", "issue solved", "solved it", "all sorted", "working again", "works again",
        "werkt weer", "doet het weer",
    ),
    # the customer's own slip: no apology needed
    "own_mistake": (
        "per ongeluk", "mijn fout", "mijn eigen fout", "by mistake", "accidentally", "my bad",
        "my mistake", "my own fault", "verkeerd besteld", "ordered the wrong",
    ),
    "health_safety": (
        "ziek geworden", "ziek van", "misselijk", "allergische reactie", "allergisch", "glassplinter",
        "glasscherf", "scherf", "scherven in", "splinter", "ziekenhuis", "huisarts", "vergiftig",
        "got sick", "made me sick", "felt sick", "food poisoning", "allergic reaction", "glass shard",
        "shard of glass", "piece of glass", "glass in my", "glass in the", "hospital", "poisoned",
        "stukjes glas", "stukje glas", "glas in de", "glas in mijn", "glasscherven", "ziek na",
        "ziek nadat", "really sick", "sick after", "ill after", "pieces of glass", "bits of glass",
        "overgeven", "threw up", "throwing up", "vomit",
    ),
    "press": (
        "journalist", "redactie", "voor een artikel", "interview", "persvraag", "perskaart",
        "reporter", "for an article", "press inquiry", "press enquiry", "newsroom", "podcast over",
        "for a story", "editor at", "writing a piece", "schrijf een stuk", "comment for",
    ),
    # about an order: only then may an acknowledgement ask for the order number
    "about_order": (
        "bestelling", "besteld", "bestelde", "pakket", "levering", "geleverd", "bezorgd", "bezorging",
        "retour", "terugbetaling", "factuur", "track & trace", "track en trace", "ordernummer", "order",
        "ordered", "parcel", "package", "delivery", "delivered", "shipment", "refund", "invoice",
        "tracking", "my box", "mijn doos", "de doos",
    ),
    # asks the other members, not the brand: "weet iemand", "anyone tried"
    "asks_community": (
        "weet iemand", "iemand ervaring", "heeft iemand", "wie heeft", "wie weet", "ervaringen met",
        "iemand die", "anyone know", "does anyone", "has anyone", "anyone tried", "anyone ordered",
        "anyone here", "anyone else", "anyone in", "any experience", "experiences with",
        "what do you guys think", "jullie ervaringen", "wat vinden jullie",
    ),
}  # fmt: skip
# one of these is enough to call a message spam
SPAM_PHRASES: tuple[str, ...] = (
    "verdien snel", "gratis iphone", "click here", "klik hier", "earn money", "dm me for",
    "followers kopen", "buy followers", "100% gratis", "trading signals", "per week verdienen",
    "kijk op mijn profiel", "check my profile", "zoek nieuwe vrienden", "looking for new friends",
    "onlyfans", "investeer nu", "invest now", "t.me/+",
)  # fmt: skip
# words customers use too ("my promo code doesn't work", "I work from home", "do you take bitcoin?"):
# spam only with a link or a second such word
SPAM_HINTS: tuple[str, ...] = (
    "crypto", "bitcoin", "casino", "promo code", "from home", "vanuit huis", "/week", "dating", "forex",
)  # fmt: skip
QUESTION_WORDS = _words(
    "hoe wat wanneer waar waarom welke wie kan kunnen kun mag zijn is heb hebben hebt bezorgen"
    " leveren how what when where why which who can could do does are will is would should"
)
# question words that open an exclamation instead: "Wat een service!", "What a mess"
EXCLAMATION_OPENERS = frozenset({("wat", "een"), ("what", "a"), ("what", "an")})
PROFANITY = _words(
    "kut klote godverdomme tering kanker kolere shit fuck fucking fucked damn crap wtf bullshit"
)
